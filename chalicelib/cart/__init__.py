"""Cart area (issue 5 item 1)."""
