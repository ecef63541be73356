"""Invoices (issue 5 item 7, feature Y6): per-tenant gap-free numbering, PDF with Turkish text,
stored in S3, downloadable by the customer, e-mailed through the notifications queue.

    handlers.py   `invoices` SQS consumer: OrderPaid → service.process_paid_order
    routes.py     GET /api/orders/{id}/invoice, GET/POST /api/admin/orders/{id}/invoice[/resend]
    service.py    issue (one transaction, numbered), store, e-mail, links
    document.py   what the invoice says (parties, lines, VAT per rate, totals), pure
    render.py     the PDF (fpdf2, vendored DejaVu Sans in fonts/), imported lazily
    storage.py    the invoices bucket; mail.py the "invoice_issued" e-mail template
"""
