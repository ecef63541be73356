"""Huğlu Commerce ML service: per-tenant models (recommender, purchase, segments, anomaly) behind a small HTTP API.

The API Lambdas never import this package; they call it over HTTP and feed it events through SQS.
"""

__version__ = "0.1.0"
