"""Write generated files: confined to the repository, all or nothing, atomic.

``plan_writes`` checks every output first (path inside the root, no symlink
leading out, not a directory, not someone else's file) and only then does
``apply_writes`` touch the disk, each file through a temporary file and an
atomic rename that keeps the existing file's mode.
"""
from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.errors import OutputError
from migpipe.markers import read_hash


@dataclass(frozen=True)
class PlannedWrite:
    file: GeneratedFile
    target: Path
    action: str  # "create", "update", "replace" (a file migpipe did not make), "unchanged"


def resolve_inside(root: Path, relative: str) -> Path:
    """``root/relative``, refusing anything that leads outside ``root``."""
    if os.path.isabs(relative) or ".." in Path(relative).parts:
        raise OutputError(f"{relative}: output paths must stay inside the repository root")
    root_real = root.resolve()
    target = root / relative
    # Resolving follows symlinks in every existing component, the file included.
    real = target.resolve()
    if real != root_real and root_real not in real.parents:
        raise OutputError(f"{relative}: resolves to {real}, outside the repository root {root_real} (a symlink?)")
    return target


def read_existing(target: Path) -> str | None:
    """The current text of ``target``, None when it does not exist."""
    try:
        return target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise OutputError(f"{target}: is a directory, expected a file") from None
    except PermissionError:
        raise OutputError(f"{target}: permission denied while reading") from None
    except UnicodeDecodeError:
        return "\x00binary"  # never equal to generated text; treated as not ours
    except OSError as exc:
        raise OutputError(f"{target}: cannot be read ({exc.strerror or exc})") from None


def plan_writes(root: Path, files: list[GeneratedFile], force: bool) -> list[PlannedWrite]:
    if not root.is_dir():
        raise OutputError(f"{root}: the repository root is not a directory")
    plans = []
    foreign = []
    for file in files:
        target = resolve_inside(root, file.path)
        current = read_existing(target)
        if current is None:
            action = "create"
        elif current == file.content:
            action = "unchanged"
        elif read_hash(current) is None:
            action = "replace"
            foreign.append(file.path)
        else:
            action = "update"
        plans.append(PlannedWrite(file, target, action))
    if foreign and not force:
        raise OutputError(
            "refusing to overwrite files migpipe did not generate: "
            + ", ".join(foreign)
            + " (move them away, or run again with --force to replace them)"
        )
    return plans


def _write_atomic(target: Path, content: str, executable: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    if executable:
        mode |= (mode & 0o444) >> 2  # add x wherever r is set
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".migpipe-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def apply_writes(plans: list[PlannedWrite]) -> None:
    for plan in plans:
        if plan.action == "unchanged":
            continue
        try:
            _write_atomic(plan.target, plan.file.content, plan.file.executable)
        except OSError as exc:
            raise OutputError(f"{plan.file.path}: cannot be written ({exc.strerror or exc})") from None
