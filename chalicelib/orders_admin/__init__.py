"""orders_admin area (issue 5)."""
