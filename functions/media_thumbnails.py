"""Lambda (S3 ObjectCreated, images bucket, prefix tenants/): EXIF-free originals and thumbnails."""
from chalicelib.media.handlers import bp, generate_thumbnails
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-media-thumbnails", [bp])
handler = generate_thumbnails
