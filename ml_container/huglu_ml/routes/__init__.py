"""HTTP routes of the ML service; every /api/* route depends on :func:`huglu_ml.auth.tenant`."""
