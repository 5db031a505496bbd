"""migpipe: database migrations that never run by accident."""
from __future__ import annotations

__version__ = "0.1.0"
