"""Referrals (issue 15, R1-R3): share codes, both sides rewarded on the referee's first delivered order."""
