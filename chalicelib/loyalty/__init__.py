"""User levels (issue 15, L1-L3): points from delivered orders, tiers with benefits, progress."""
