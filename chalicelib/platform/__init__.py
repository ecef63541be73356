"""Cross-cutting code every area uses: config, db, cache, errors, tenancy, auth, rate limit,
middleware, OpenAPI, i18n, logging, queue, storage.

Modules here import only the standard library and the light drivers they wrap; heavy clients
(redis, boto3, jwt) are imported lazily on first use so an area's cold start pays only for
what it touches.
"""
