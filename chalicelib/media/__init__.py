"""Product images (issue 4 item 5, AP images): presigned uploads, thumbnails, order, alt text.

    admin ── POST .../images/uploads ──────────► presigned S3 POST (10 min, exact key, type, size)
    admin ── POST <url> (the file) ────────────► S3 images bucket: tenants/{t}/products/{p}/originals/{uuid}.{ext}
    admin ── POST .../uploads/{id}/complete ───► HEAD + sniff → product_images row, audit, cache forgotten
    S3 ObjectCreated ──► functions/media_thumbnails.py (handlers.py → thumbnails.py → imaging.py):
                         verify with Pillow, refuse bombs, rewrite the original without EXIF,
                         thumbs/{uuid}-320.webp + -800.webp, width/height/thumb_key on the row

The S3 event and the `complete` call race (the event usually wins); both orders end with the
row recording the thumbnails (see `thumbnails` and `service.complete_upload`).

Pending uploads are short-lived state (1 hour) and live in Redis (`uploads`), not in a table.
Only `thumbnails`/`imaging` import Pillow, and only the thumbnails function imports them.
"""
