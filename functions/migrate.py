"""Lambda invoked by the deploy pipeline: run Alembic migrations to head.

The only function that imports SQLAlchemy/Alembic; API functions never do.
"""
from typing import Any


def handler(event: Any, context: Any) -> dict[str, str]:
    from infra.migrations.runner import upgrade_to_head

    upgrade_to_head()
    return {"status": "migrated"}
