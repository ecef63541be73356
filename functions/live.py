"""Lambda: /api/live-users/register|heartbeat|unregister, /api/user-data/log, /api/admin/live-users...
(issue 13: live users; pushes to staff's WebSockets through the management API)."""
from chalicelib.live.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-live", [router])
