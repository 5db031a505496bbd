"""Write generated files: confined to the repository, all or nothing, atomic.

``plan_writes`` checks every output first (path inside the root, no symlink
leading out, not a directory, parents that can be directories, not someone
else's file) and reports every problem at once; only when there is none does
``apply_writes`` touch the disk. It first stages every file as a temporary
file next to its target and only then renames them into place, so a failure
while writing (disk full, read-only directory) leaves every target as it was.
Each rename is atomic and the new file keeps the existing file's mode.
"""
from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.errors import OutputError
from migpipe.markers import read_header

TEMP_SUFFIX = ".migpipe-tmp"

# What is wrong with an output path, as verify prints it.
NOT_A_FILE = "not a file"
UNREADABLE = "unreadable"
OUTSIDE = "outside the repository"

_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class OutputProblem(OutputError):
    """One output path that cannot be read or written; ``kind`` says how."""

    def __init__(self, path: str, kind: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Existing:
    """What is on disk where an output goes."""

    target: Path  # the file to compare and replace (symlinks inside the root followed)
    content: str | None  # None when there is no file yet


@dataclass(frozen=True)
class PlannedWrite:
    file: GeneratedFile
    target: Path
    action: str  # "create", "update", "replace" (a file migpipe did not make), "unchanged"


def check_root(root: Path) -> Path:
    """The resolved repository root, or an OutputError when it is not a directory."""
    try:
        if root.is_dir():
            return root.resolve(strict=True)
    except (OSError, RuntimeError):
        pass
    what = "does not exist" if not os.path.lexists(root) else "is not a directory"
    raise OutputError(f"{root}: the repository root {what} (expected a directory; see --root)")


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of ``root/relative``, refusing anything that leads outside ``root``.

    Symlinks inside the repository are followed, so writing keeps the link
    and replaces the file it points to.
    """
    if os.path.isabs(relative) or ".." in Path(relative).parts:
        raise OutputProblem(
            relative, OUTSIDE, "output paths must stay inside the repository root (expected a relative path without '..')"
        )
    root_real = check_root(root)
    try:
        real = (root_real / relative).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise OutputProblem(
            relative, UNREADABLE, f"cannot be resolved ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    if real != root_real and root_real not in real.parents:
        raise OutputProblem(
            relative,
            OUTSIDE,
            f"leads to {real} through a symbolic link, outside the repository root {root_real} "
            "(expected a path inside the repository)",
        )
    if real == root_real:
        raise OutputProblem(relative, NOT_A_FILE, "is the repository root itself (expected a file path)")
    return real


def _check_parents(relative: str, target: Path, root_real: Path) -> None:
    """Refuse a target whose nearest existing ancestor is not a directory."""
    for parent in target.parents:
        try:
            info = parent.stat()
        except FileNotFoundError:
            continue  # will be created
        except OSError as exc:
            raise OutputProblem(relative, UNREADABLE, f"cannot check {parent} ({exc.strerror or exc})") from None
        if not stat.S_ISDIR(info.st_mode):
            shown = parent.relative_to(root_real) if root_real in parent.parents else parent
            raise OutputProblem(
                relative,
                NOT_A_FILE,
                f"{shown} is a file, not a directory (expected a directory holding this file)",
            )
        return


def read_existing(root: Path, relative: str) -> Existing:
    """What is at ``root/relative`` now; OutputProblem when it is not a readable file."""
    target = resolve_inside(root, relative)
    try:
        info = target.stat()
    except FileNotFoundError:
        _check_parents(relative, target, check_root(root))
        return Existing(target, None)
    except NotADirectoryError:
        _check_parents(relative, target, check_root(root))
        raise  # pragma: no cover - _check_parents always raises here
    except OSError as exc:
        raise OutputProblem(relative, UNREADABLE, f"cannot be read ({exc.strerror or exc})") from None
    # Checked before opening: reading a named pipe would block forever.
    for is_kind, kind in _SPECIAL_KINDS:
        if is_kind(info.st_mode):
            raise OutputProblem(relative, NOT_A_FILE, f"is {kind} (expected a regular file)")
    try:
        # newline="": compare bytes as they are; a CRLF copy is not the generated file.
        with open(target, encoding="utf-8", errors="replace", newline="") as handle:
            return Existing(target, handle.read())
    except PermissionError:
        raise OutputProblem(relative, UNREADABLE, "permission denied while reading") from None
    except OSError as exc:
        raise OutputProblem(relative, UNREADABLE, f"cannot be read ({exc.strerror or exc})") from None


def plan_writes(root: Path, files: list[GeneratedFile], force: bool) -> list[PlannedWrite]:
    """Decide what to do with every output, or raise one OutputError listing every problem."""
    check_root(root)
    plans = []
    problems: list[str] = []
    foreign = []
    targets: dict[Path, str] = {}
    for file in files:
        try:
            existing = read_existing(root, file.path)
        except OutputProblem as exc:
            problems.append(str(exc))
            continue
        if existing.target in targets:
            problems.append(
                f"{file.path}: is the same file as {targets[existing.target]} (through a symbolic link; "
                "expected a distinct file)"
            )
            continue
        targets[existing.target] = file.path
        current = existing.content
        if current is None:
            action = "create"
        elif current == file.content:
            action = "unchanged"
        elif read_header(current) is None:
            action = "replace"
            foreign.append(file.path)
        else:
            action = "update"
        plans.append(PlannedWrite(file, existing.target, action))
    # Checked on real paths, so a symlinked directory cannot hide it: one
    # output where another needs a directory would fail halfway through writing.
    for target, path in targets.items():
        for parent in target.parents:
            if parent in targets:
                problems.append(
                    f"{path}: would need {targets[parent]} to be a directory (expected outputs that do not nest)"
                )
    if foreign and not force:
        problems.append(
            "refusing to overwrite files migpipe did not generate: "
            + ", ".join(foreign)
            + " (move them away, or run again with --force to replace them)"
        )
    if problems:
        raise OutputError("\n".join(problems))
    return plans


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _mode_for(target: Path, executable: bool) -> int:
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    if executable:
        mode |= (mode & 0o444) >> 2  # add x wherever r is set
    return mode


def _make_parents(directory: Path, created: list[Path]) -> None:
    missing = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir()
        created.append(parent)


def _stage(target: Path, content: str, mode: int) -> Path:
    """Write ``content`` to a new temporary file next to ``target``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _backup(target: Path) -> Path | None:
    """A second name for the file at ``target``, so a failed rename can be undone."""
    if not target.exists():
        return None
    backup = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.migpipe-old")
    try:
        os.link(target, backup)  # no copy: the old file simply keeps a second name
    except OSError:
        shutil.copy2(target, backup)
    return backup


def _undo(plan: PlannedWrite, backup: Path | None) -> None:
    if backup is not None:
        os.replace(backup, plan.target)
    else:
        plan.target.unlink(missing_ok=True)


def _raise_as_output_error(exc: BaseException, current: PlannedWrite | None) -> None:
    """After every change was undone: an OSError becomes a message naming its file."""
    if isinstance(exc, OSError) and current is not None:
        raise OutputError(
            f"{current.file.path}: cannot be written ({exc.strerror or exc}); no file was changed"
        ) from None


def apply_writes(plans: list[PlannedWrite]) -> None:
    """Write every planned file, or none of them.

    Phase 1 stages every file next to its target; phase 2 renames them into
    place, keeping a second name for each replaced file so that a failed
    rename puts back the files already renamed.
    """
    pending = [plan for plan in plans if plan.action != "unchanged"]
    staged: list[tuple[PlannedWrite, Path]] = []
    created_dirs: list[Path] = []
    current = None

    def clean_up() -> None:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        for directory in reversed(created_dirs):
            try:
                directory.rmdir()
            except OSError:
                pass

    try:
        for plan in pending:
            current = plan
            _make_parents(plan.target.parent, created_dirs)
            mode = _mode_for(plan.target, plan.file.executable)
            staged.append((plan, _stage(plan.target, plan.file.content, mode)))
    except BaseException as exc:
        clean_up()
        _raise_as_output_error(exc, current)
        raise

    done: list[tuple[PlannedWrite, Path | None]] = []
    try:
        for plan, tmp in staged:
            current = plan
            backup = _backup(plan.target)
            try:
                os.replace(tmp, plan.target)
            except BaseException:
                if backup is not None:
                    backup.unlink(missing_ok=True)
                raise
            done.append((plan, backup))
    except BaseException as exc:
        for plan, backup in reversed(done):
            try:
                _undo(plan, backup)
            except OSError:
                pass
        clean_up()
        _raise_as_output_error(exc, current)
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)
