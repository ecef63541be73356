"""One entry module per deployed Lambda function.  Each imports only its own area, so its
cold start pays for nothing else (bench/coldstart.py measures it; tests/e2e/test_package.py
checks it)."""
