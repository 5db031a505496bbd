"""PostgreSQL durations ("500ms", "5s", "15min", "1h") as seconds."""
from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|min|h|d)?\s*")


def seconds(duration: str) -> float:
    """Seconds in a PostgreSQL duration; a bare number is milliseconds, as in SET."""
    match = _DURATION_RE.fullmatch(duration)
    if not match:
        raise ValueError(f"not a duration: {duration!r}")
    number, unit = match.groups()
    return float(number) * _UNITS[unit or "ms"]
