"""The ML service's API side (issue 14 item 8): calls to ml_container over HTTP with a short
timeout and a circuit breaker, popularity fallbacks, staff views, and the events sent to it."""
