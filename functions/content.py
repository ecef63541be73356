"""Lambda: /api/stories, /api/sliders, /api/popups and their staff CRUD under /api/admin/
(issue 15 item 9: stories, sliders / banners, popups)."""
from chalicelib.content.admin_routes import router as content_admin
from chalicelib.content.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-content", [router, content_admin])
