"""returns area (issue 5)."""
