"""shipping area (issue 5)."""
