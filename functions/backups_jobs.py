"""Lambda (SQS backups): staff-requested backups and tenant exports, and backup verifications."""
from chalicelib.backups.handlers import backup_jobs, jobs_bp
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-backups-jobs", [jobs_bp])
handler = backup_jobs
