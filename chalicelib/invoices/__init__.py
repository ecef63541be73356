"""invoices area (issue 5)."""
