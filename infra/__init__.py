"""Deployment and local-stack tooling: packaging, template, migrations, dev server, worker."""
