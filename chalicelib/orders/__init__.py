"""orders area (issue 5)."""
