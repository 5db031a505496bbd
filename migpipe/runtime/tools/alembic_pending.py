"""Pending Alembic revisions, oldest first: run by the app's python3 (fed on stdin).

Alembic lives in the application's environment, not necessarily in
migpipe's, so migpipe runs this file with ``python3`` (the interpreter that
runs the app's ``alembic``). It imports only the standard library and
Alembic, reads only the revision files, never the database.

Arguments: alembic.ini, then the revisions alembic_version holds. Prints one
line per pending revision, "REVISION<tab>FROM<tab>FILE", FROM being the
revision it upgrades from ("base" for a first one), FILE its path relative
to the current directory. Exits non-zero with a message when the revisions
cannot be read or have several heads.
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    try:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
    except ImportError as error:
        print(f"python3 cannot import alembic ({error}); run migpipe where the app's requirements are installed",
              file=sys.stderr)
        return 1
    config_file, *current = argv
    try:
        script = ScriptDirectory.from_config(Config(config_file))
        heads = script.get_heads()
        if len(heads) > 1:
            print(f"the revisions have {len(heads)} heads ({', '.join(sorted(heads))}); "
                  "merge them first (alembic merge heads), so the order they run in is decided", file=sys.stderr)
            return 1
        # What `alembic upgrade heads` would run from the current heads, in order.
        revisions = reversed(list(script.iterate_revisions("heads", tuple(current), implicit_base=True)))
        for revision in revisions:
            down = revision.down_revision
            # A merge revision upgrades from several; linting from the first
            # may lint the others' SQL twice, never less.
            start = (down if isinstance(down, str) else down[0]) if down else "base"
            print(f"{revision.revision}\t{start}\t{os.path.relpath(str(revision.path))}")
    except Exception as error:  # noqa: BLE001 - Alembic's own errors say what is wrong
        print(f"alembic: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
