from __future__ import annotations

from migpipe.cli import main

raise SystemExit(main())
