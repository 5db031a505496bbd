"""migpipe host-cli DIR: write the host CLI's locked npm manifest into DIR.

The deploy job then installs the CLI with ``npm ci --prefix DIR``: the
release migpipe pins, every dependency at the version and integrity hash of
the lockfile shipped inside migpipe (for Vercel,
migpipe/profiles/hosts/vercel_cli/). Exit 0 when written, 2 when the host
installs no CLI this way or DIR cannot be written.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from migpipe.errors import EXIT_OK, FatalError
from migpipe.pipeline import load_pipeline

FILES = ("package.json", "package-lock.json")


def run(config: str, directory: str) -> int:
    host = load_pipeline(config).host_profile()
    if not host.cli_manifest:
        raise FatalError(f"{host.label} deploys without a CLI installed from a lockfile: nothing to write")
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(Path(host.cli_manifest) / name, target / name)
    except OSError as exc:
        raise FatalError(f"{directory}: cannot write the CLI's manifest ({exc.strerror or exc})") from None
    print(f"wrote {', '.join(FILES)} to {directory}: install with npm ci --prefix {directory}")
    return EXIT_OK
