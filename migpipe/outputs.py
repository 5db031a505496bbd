"""Write generated files: confined to the repository, all or nothing, atomic.

``plan_writes`` checks every output first (path inside the root, no symlink
leading out, not a directory, parents that can be directories, not someone
else's file, never pipeline.toml itself) and reports every problem at once;
only when there is none does ``apply_writes`` touch the disk.

Every change is one transaction recorded in a journal, ``.migpipe/journal.json``
(written to a temporary name, then renamed: a reader sees a whole journal or
none):

1. the journal is written in state ``staging``, listing every target;
2. each new file is staged next to its target (``.NAME.migpipe-tmp``), and each
   file to be replaced or removed gets a second name (``.NAME.migpipe-old``, a
   hard link);
3. the journal turns to ``commit``: from here on the change is decided;
4. each staged file is renamed over its target (atomic) and each orphaned
   output is unlinked;
5. the second names go, then the journal.

A ``kill -9`` anywhere leaves each file wholly old or wholly new (a rename is
atomic) and the journal says how to finish: the next ``generate`` (or
``recover``) drops a ``staging`` transaction (every target is still old) and
completes a ``commit`` one (every target becomes new), so across files it is
all or nothing once repaired. A failure inside the process after step 3
turns the journal to ``rollback`` and puts the second names back. Nothing
temporary survives a repair. ``generation_lock`` (``flock`` on the root
directory) keeps two generates from interleaving; names are fixed, so the
lock is what makes them safe.

``MIGPIPE_TEST_KILL_AT=N`` (tests only) SIGKILLs the process just before its
Nth change to the disk, so tests can interrupt a run at every step.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from migpipe.compiler import GeneratedFile
from migpipe.errors import OutputError, OutputProblem
from migpipe.manifest import MANIFEST_PATH, content_hash, recorded_files, recorded_header
from migpipe.markers import Header, read_header

TEMP_SUFFIX = ".migpipe-tmp"
OLD_SUFFIX = ".migpipe-old"
JOURNAL_PATH = ".migpipe/journal.json"
LOCK_TIMEOUT_SECONDS = 120.0
_VCS_FOLDERS = frozenset({".git", ".hg", ".svn", ".bzr", "_darcs", ".jj"})

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


@dataclass(frozen=True)
class Existing:
    """What is on disk where an output goes."""

    target: Path  # the file to compare and replace (symlinks inside the root followed)
    content: str | None  # None when there is no file yet


@dataclass(frozen=True)
class PlannedWrite:
    file: GeneratedFile | None  # None for "remove"
    target: Path
    action: str  # "create", "update", "replace" (a file migpipe did not make), "unchanged", "remove"
    path: str  # as pipeline.toml names it (relative to the root)


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


def committed_manifest(root: Path) -> str | None:
    """The text of the committed ``.migpipe/manifest.json``; None when there is none or it cannot be read."""
    try:
        return read_existing(root, MANIFEST_PATH).content
    except OutputProblem:
        return None


def header_of(path: str, content: str, manifest: str | None) -> Header | None:
    """What says migpipe made the file at ``path``: its own header, or, for a
    file that cannot carry one (vercel.json), the committed manifest's record
    of it. Names drift and tells migpipe's files from others; never a verdict."""
    return read_header(content) or recorded_header(manifest, path)


def _is_through_link(root_real: Path, relative: str) -> bool:
    """Whether ``root/relative`` reaches its file through a symbolic link."""
    return Path(os.path.join(root_real, *relative.split("/"))) != Path(
        os.path.realpath(os.path.join(root_real, *relative.split("/")))
    )


def plan_writes(
    root: Path, files: list[GeneratedFile], force: bool, protected: tuple[Path, ...] = ()
) -> list[PlannedWrite]:
    """Decide what to do with every output, or raise one OutputError listing every problem.

    ``protected`` files (pipeline.toml) are never written, whatever the path
    or link that leads to them. ``--force`` replaces a file migpipe did not
    write only where the output path itself is: never through a symbolic
    link, which would overwrite a file that is not an output. Files listed by
    the committed manifest that are no longer outputs are planned for removal
    (``plan_orphans``).
    """
    root_real = check_root(root)
    protected_real = {path.resolve() for path in protected}
    plans = []
    problems: list[str] = []
    foreign = []
    targets: dict[Path, str] = {}
    manifest = committed_manifest(root)
    for file in files:
        try:
            existing = read_existing(root, file.path)
        except OutputProblem as exc:
            problems.append(str(exc))
            continue
        if existing.target in protected_real:
            problems.append(
                f"{file.path}: leads to {existing.target}, the policy file itself (through a symbolic link); "
                "refusing to overwrite it (expected an output path of its own)"
            )
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
        elif header_of(file.path, current, manifest) is None:
            if _is_through_link(root_real, file.path):
                shown = existing.target.relative_to(root_real).as_posix()
                problems.append(
                    f"{file.path}: is a symbolic link to {shown}, a file migpipe did not generate; "
                    "refusing to write through the link, even with --force "
                    f"(replace the link by the file, or point the output at {shown})"
                )
                continue
            action = "replace"
            foreign.append(file.path)
        else:
            action = "update"
        plans.append(PlannedWrite(file, existing.target, action, file.path))
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
    orphans, orphan_problems = plan_orphans(root, files)
    problems += orphan_problems
    if problems:
        raise OutputError("\n".join(problems))
    return plans + orphans


@dataclass(frozen=True)
class Orphan:
    """A file the committed manifest lists at a path that is no longer an output."""

    path: str
    target: Path
    unedited: bool  # still byte for byte what migpipe wrote there


def find_orphans(root: Path, files: list[GeneratedFile]) -> list[Orphan]:
    """Files still present at paths the committed manifest owns and pipeline.toml no longer names.

    The committed manifest is read only to find such paths: it can add drift,
    never clear it. Paths that lead outside the root are ignored.
    """
    manifest = committed_manifest(root)
    if manifest is None:
        return []
    current = {file.path for file in files}
    current_targets = set()
    for file in files:
        with contextlib.suppress(OutputProblem):
            current_targets.add(resolve_inside(root, file.path))
    found = []
    for path, recorded in sorted(recorded_files(manifest).items()):
        if path in current or path == MANIFEST_PATH:
            continue
        try:
            existing = read_existing(root, path)
        except OutputProblem:
            continue
        if existing.content is None or existing.target in current_targets:
            continue  # gone, or the same file as an output (through a link)
        unedited = content_hash(existing.content) == recorded and header_of(path, existing.content, manifest) is not None
        found.append(Orphan(path, existing.target, unedited))
    return found


def plan_orphans(root: Path, files: list[GeneratedFile]) -> tuple[list[PlannedWrite], list[str]]:
    """Removals of unedited orphans; a problem for each edited one."""
    plans, problems = [], []
    for orphan in find_orphans(root, files):
        if orphan.unedited:
            plans.append(PlannedWrite(None, orphan.target, "remove", orphan.path))
        else:
            problems.append(
                f"{orphan.path}: migpipe generated this file for an output that pipeline.toml no longer has "
                f"(listed in {MANIFEST_PATH}), and it has been edited since; refusing to remove it "
                "(move what you need into pipeline.toml, then delete the file or move it away, and run generate again)"
            )
    return plans, problems


# --------------------------------------------------------------------------
# Writing: one journaled transaction (see the module's docstring).


def _checkpoint() -> None:
    """Before each change to the disk: the tests' kill switch (MIGPIPE_TEST_KILL_AT)."""
    kill_at = os.environ.get("MIGPIPE_TEST_KILL_AT")
    if kill_at:
        global _operations
        _operations += 1
        if _operations >= int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)


_operations = 0


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


def _temp_of(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_SUFFIX}")


def _old_of(target: Path) -> Path:
    return target.with_name(f".{target.name}{OLD_SUFFIX}")


def _missing_parents(directory: Path) -> list[Path]:
    missing = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        missing.append(parent)
    return list(reversed(missing))


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_file(path: Path, content: str, mode: int | None = None) -> None:
    """Create ``path`` (which must not exist) with ``content``, flushed to disk."""
    _checkpoint()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(path, mode)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _unlink(path: Path) -> None:
    if os.path.lexists(path):
        _checkpoint()
        path.unlink(missing_ok=True)


def _replace(source: Path, target: Path) -> None:
    _checkpoint()
    os.replace(source, target)


@dataclass(frozen=True)
class _Entry:
    target: Path  # the real file (symlinks inside the root followed)
    action: str  # "write" or "remove"
    existed: bool


class _Journal:
    """The transaction's record under the root; every write of it is atomic."""

    def __init__(self, root_real: Path) -> None:
        self.root = root_real
        self.path = root_real / JOURNAL_PATH
        self.temp = self.path.with_name(self.path.name + TEMP_SUFFIX)

    def write(self, state: str, entries: list[_Entry], directories: list[Path]) -> None:
        document = {
            "state": state,
            "entries": [
                {"target": self._relative(e.target), "action": e.action, "existed": e.existed} for e in entries
            ],
            "directories": [self._relative(d) for d in directories],
        }
        if not self.path.parent.is_dir():
            _checkpoint()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        _unlink(self.temp)
        _write_file(self.temp, json.dumps(document, indent=1) + "\n")
        _replace(self.temp, self.path)
        _fsync_directory(self.path.parent)

    def read(self) -> tuple[str, list[_Entry], list[Path]] | None:
        """The recorded transaction; None when there is none. OutputError when it cannot be trusted."""
        if not self.path.parent.is_dir():
            return None  # no .migpipe folder (plan_writes reports a file in its place)
        _unlink(self.temp)  # an interrupted write of the journal: the previous one (or none) stands
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OutputError(f"{JOURNAL_PATH}: cannot be read ({exc.strerror or exc})") from None
        try:
            document = json.loads(text)
            state = document["state"]
            entries = [
                _Entry(self._inside(item["target"]), item["action"], bool(item["existed"]))
                for item in document["entries"]
            ]
            directories = [self._inside(item) for item in document["directories"]]
            if state not in ("staging", "commit", "rollback") or any(
                e.action not in ("write", "remove") for e in entries
            ):
                raise ValueError(state)
        except (ValueError, KeyError, TypeError):
            raise OutputError(
                f"{JOURNAL_PATH}: an interrupted generate left a journal migpipe cannot read; "
                "check the outputs by hand (git status), delete the journal, then run generate again"
            ) from None
        return state, entries, directories

    def remove(self) -> None:
        _unlink(self.path)
        _fsync_directory(self.path.parent)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _inside(self, relative: object) -> Path:
        """A journal path, only if it stays inside the root and out of VCS folders.

        A journal is read, not trusted: one committed by someone else must not
        make generate rename files into .git/ or out of the repository.
        """
        if not isinstance(relative, str) or not relative or os.path.isabs(relative):
            raise ValueError(relative)
        parts = relative.split("/")
        if ".." in parts or any(part in _VCS_FOLDERS for part in parts):
            raise ValueError(relative)
        path = self.root / relative
        if self.root not in Path(os.path.realpath(path.parent)).parents and Path(os.path.realpath(path.parent)) != self.root:
            raise ValueError(relative)
        return path


def _finish(journal: _Journal, state: str, entries: list[_Entry], directories: list[Path]) -> None:
    """Bring a recorded transaction to an end: dropped, completed or rolled back. Idempotent."""
    if state == "commit":
        for entry in entries:
            if entry.action == "write" and os.path.lexists(_temp_of(entry.target)):
                _replace(_temp_of(entry.target), entry.target)
            elif entry.action == "remove":
                _unlink(entry.target)
    elif state == "rollback":
        for entry in entries:
            temp, old = _temp_of(entry.target), _old_of(entry.target)
            if entry.existed:
                if os.path.lexists(old):
                    _replace(old, entry.target)
            elif entry.action == "write" and not os.path.lexists(temp):
                _unlink(entry.target)  # created, then renamed into place
            _unlink(temp)
    for entry in entries:  # staging: nothing was renamed; every state: the extra names go
        _unlink(_temp_of(entry.target))
        _unlink(_old_of(entry.target))
    if state != "commit":
        for directory in reversed(directories):
            with contextlib.suppress(OSError):
                if directory.is_dir() and not any(directory.iterdir()):
                    _checkpoint()
                    directory.rmdir()
    for directory in {entry.target.parent for entry in entries}:
        _fsync_directory(directory)
    journal.remove()


def recover(root: Path) -> str | None:
    """Finish what an interrupted generate left; the state it found ("staging", "commit", "rollback") or None.

    Call it holding ``generation_lock``.
    """
    journal = _Journal(check_root(root))
    recorded = journal.read()
    if recorded is None:
        return None
    state, entries, directories = recorded
    try:
        _finish(journal, state, entries, directories)
    except OSError as exc:
        raise OutputError(
            f"{JOURNAL_PATH}: cannot finish the generate that was interrupted ({exc.strerror or exc}); "
            "fix that, then run generate again"
        ) from None
    return state


def interrupted(root: Path) -> bool:
    """Whether an interrupted generate left a journal (verify reports it; it never repairs)."""
    return os.path.lexists(check_root(root) / JOURNAL_PATH)


@contextlib.contextmanager
def generation_lock(
    root: Path,
    timeout: float = LOCK_TIMEOUT_SECONDS,
    on_wait: Callable[[], None] | None = None,
    shared: bool = False,
) -> Iterator[None]:
    """Hold the repository's generate lock: a ``flock`` on the root directory.

    A lock on the directory itself leaves no lock file behind. generate
    holds it exclusively; verify holds it shared, so it never reads a
    generate's files halfway. A second holder waits (``on_wait`` is called
    once), then fails with an OutputError after ``timeout`` seconds.
    """
    root_real = check_root(root)
    fd = os.open(root_real, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"{root}: another `migpipe generate` is writing in this repository and still holds its "
                        f"lock after {timeout:g} s; nothing was written (run generate again when it has finished)"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def _raise_as_output_error(exc: BaseException, current: str | None) -> None:
    """After every change was undone: an OSError becomes a message naming its file."""
    if isinstance(exc, OSError) and current is not None:
        raise OutputError(f"{current}: cannot be written ({exc.strerror or exc}); no file was changed") from None


def apply_writes(root: Path, plans: list[PlannedWrite]) -> None:
    """Write every planned file and remove every planned orphan, or change nothing.

    Call it holding ``generation_lock``, after ``recover``.
    """
    journal = _Journal(check_root(root))
    pending = [plan for plan in plans if plan.action != "unchanged"]
    if not pending:
        return
    try:
        if not journal.path.parent.is_dir():  # where the journal (and the manifest) live
            _checkpoint()
            journal.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{JOURNAL_PATH}: cannot be written ({exc.strerror or exc}); no file was changed") from None
    entries = [
        _Entry(plan.target, "remove" if plan.action == "remove" else "write", os.path.lexists(plan.target))
        for plan in pending
    ]
    directories: list[Path] = []
    for plan in pending:
        for directory in _missing_parents(plan.target.parent):
            if directory not in directories:
                directories.append(directory)
    try:
        journal.write("staging", entries, directories)
    except OSError as exc:
        with contextlib.suppress(OSError):
            journal.remove()
        raise OutputError(f"{JOURNAL_PATH}: cannot be written ({exc.strerror or exc}); no file was changed") from None
    current: str | None = None
    try:
        for directory in directories:
            current = next(p.path for p in pending if directory in p.target.parents)
            _checkpoint()
            directory.mkdir(exist_ok=True)
        for plan, entry in zip(pending, entries):
            current = plan.path
            if plan.file is not None:
                _write_file(_temp_of(plan.target), plan.file.content, _mode_for(plan.target, plan.file.executable))
            if entry.existed:
                _link_old(plan.target)
        journal.write("commit", entries, directories)
    except BaseException as exc:
        _finish(journal, "staging", entries, directories)
        _raise_as_output_error(exc, current)
        raise
    try:
        for plan in pending:
            current = plan.path
            if plan.file is not None:
                _replace(_temp_of(plan.target), plan.target)
            else:
                _unlink(plan.target)
    except BaseException as exc:
        journal.write("rollback", entries, directories)
        _finish(journal, "rollback", entries, directories)
        _raise_as_output_error(exc, current)
        raise
    _finish(journal, "commit", entries, directories)


def _link_old(target: Path) -> None:
    """A second name for the file at ``target``, so a failed rename can be undone."""
    old = _old_of(target)
    _checkpoint()
    try:
        os.link(target, old)  # no copy: the old file simply keeps a second name
    except OSError:
        shutil.copy2(target, old)
