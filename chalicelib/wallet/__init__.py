"""The wallet (issue 11): a double-entry ledger with holds, top-ups and withdrawals; other areas use api.py."""
