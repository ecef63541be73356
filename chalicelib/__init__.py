"""Huğlu Commerce back end: one package per business area plus `platform` (cross-cutting)."""
import os

# We use no pydantic plugins; this skips the scan of every installed distribution's entry
# points that building the first model would otherwise do on each cold start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
