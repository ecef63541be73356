"""Campaigns: the promotion engine, coupons, flash deals, the wheel, offers and campaign sends (issue 15)."""
