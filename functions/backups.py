"""Lambda: /api/admin/backup... (issue 13 item 2): list, queue and inspect backups."""
from chalicelib.backups.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-backups", [router])
