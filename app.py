"""The whole application: every area's routes and event handlers on one Chalice app.

Used by `chalice local` (make dev), `chalice.test.Client` and a monolithic deploy.  The
deployed functions are built per area from functions/ (see infra/README section in README.md).
"""
from chalicelib.accounts.routes import bp as accounts_bp
from chalicelib.catalog.routes import bp as catalog_bp
from chalicelib.platform.app_factory import create_app
from chalicelib.system.handlers import bp as system_jobs_bp
from chalicelib.system.routes import bp as system_bp

app = create_app("huglu", [system_bp, accounts_bp, catalog_bp, system_jobs_bp])
