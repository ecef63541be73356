"""Admin access (AS): the permission catalogue, roles, staff users and API keys, every change
audited in the transaction that makes it."""
