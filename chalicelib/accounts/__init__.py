"""Accounts (U1, U7 so far): password login, rotating refresh tokens, logout, profile.
Registration, verification, 2FA, biometrics and addresses extend this area (issue 3)."""
