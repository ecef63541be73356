"""Queue consumers and scheduled jobs of the invoices area."""
from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)
