from __future__ import annotations

import sys

from migpipe.schema import schema_text


def run() -> int:
    sys.stdout.write(schema_text())
    return 0
