"""Tenants (T): creating a tenant with its default roles and first API key.  Used by the
`tenants` command (infra/local/tenants.py) and, later, the API-key admin routes."""
