"""A run's statuses, the queues and the sizes of the feeds area, in one place."""
from __future__ import annotations

QUEUED, RUNNING, REPORTING = "queued", "running", "reporting"
NOT_MODIFIED, SUCCEEDED, FAILED = "not_modified", "succeeded", "failed"
ACTIVE = (QUEUED, RUNNING, REPORTING)
STATUSES = (QUEUED, RUNNING, REPORTING, NOT_MODIFIED, SUCCEEDED, FAILED)

RUNS_QUEUE = "feed-runs"  # {"tenant_id", "run_id"}: fetch and parse one run (feeds_fetch)
ROWS_QUEUE = "feed-sync"  # a batch of valid rows of a run (feeds_rows)
BATCH_ROWS = 500  # rows per feed-sync message: one catalogue transaction each (its commit is the costly part)
BATCH_BYTES = 200_000  # ...or fewer, so a message of long names stays under SQS's 256 KB
ERROR_FLUSH = 500  # bad rows kept in memory before they are written
REPORT_PREVIEW = 100  # bad rows shown by the report route (and kept nowhere else in memory)
