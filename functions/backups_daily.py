"""Scheduled Lambda (02:30 UTC daily): the full backup with media, its verification queued, pruning."""
from chalicelib.backups.handlers import daily_backup, daily_bp
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-backups-daily", [daily_bp])
handler = daily_backup
