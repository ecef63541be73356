"""Huğlu Commerce back end: one package per business area plus `platform` (cross-cutting)."""
