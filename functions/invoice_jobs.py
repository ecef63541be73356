"""Lambda: the `invoices` queue consumer (OrderPaid → issue, store and e-mail the invoice)."""
from chalicelib.invoices.handlers import bp, issue_invoices
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-invoice-jobs", [bp])
handler = issue_invoices
