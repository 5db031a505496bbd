"""generate under interruption and concurrency (issue 11 §4).

- ``kill -9`` before every change generate makes to the disk (the test-only
  ``MIGPIPE_TEST_KILL_AT`` switch in migpipe.outputs), for every N until a
  run completes: each file is then wholly old or wholly new; the repair
  (``recover``, run first by the next generate) leaves every file old or
  every file new, with no temporary file; the next generate ends clean.
- two generates never interleave: the second waits for the lock, or fails
  clearly.
- ``--force`` never writes through a symbolic link to pipeline.toml or to any
  file that is not an output.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migpipe import outputs
from migpipe.cli import main
from tests.config.conftest import MINIMAL_CONFIG

# Changes every file, moves the runbook (a removal and a new directory).
CHANGED_CONFIG = MINIMAL_CONFIG.replace('service_name = "acme-api"', 'service_name = "acme-web"') + (
    '\n[outputs]\nrunbook = "docs/ops/runbook.md"\n'
)
TEMPORARY = (outputs.TEMP_SUFFIX, outputs.OLD_SUFFIX)


def files_of(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` (pipeline.toml aside) and its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.name != "pipeline.toml"
    }


def leftovers(root: Path) -> list[str]:
    return [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.endswith(TEMPORARY) or p.relative_to(root).as_posix() == outputs.JOURNAL_PATH
    ]


def quiet_generate(root: Path, force: bool = False) -> int:
    from migpipe.commands import generate

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)
    try:
        return generate.run(str(root / "pipeline.toml"), str(root), force=force)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def generate_killed_at(root: Path, n: int) -> bool:
    """generate in a forked child killed before its Nth change to the disk; False once it completes."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.environ["MIGPIPE_TEST_KILL_AT"] = str(n)
            outputs._operations = 0
            code = quiet_generate(root)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0
    return False


@pytest.fixture
def states(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A repository generated from MINIMAL_CONFIG with pipeline.toml now CHANGED_CONFIG,
    and the files before and after a generate that is not interrupted."""
    old = tmp_path / "old"
    old.mkdir()
    (old / "pipeline.toml").write_text(MINIMAL_CONFIG)
    assert quiet_generate(old) == 0
    (old / "pipeline.toml").write_text(CHANGED_CONFIG)
    new = tmp_path / "new"
    shutil.copytree(old, new, symlinks=True)
    assert quiet_generate(new) == 0
    before, after = files_of(old), files_of(new)
    assert before != after and set(before) != set(after)
    return old, before, after


def test_kill_9_before_every_change_leaves_old_or_new_files_and_the_next_run_repairs(tmp_path, states) -> None:
    template, before, after = states
    killed = 0
    for n in range(1, 500):
        root = tmp_path / f"run-{n}"
        shutil.copytree(template, root, symlinks=True)
        if not generate_killed_at(root, n):
            break
        killed += 1
        now = files_of(root)
        for path in set(before) | set(after):
            if path == outputs.JOURNAL_PATH:
                continue
            assert now.get(path) in (before.get(path), after.get(path)), f"kill at {n}: {path} is neither old nor new"
        # The repair alone: all old or all new, across files, and nothing temporary.
        repaired = tmp_path / f"repaired-{n}"
        shutil.copytree(root, repaired, symlinks=True)
        outputs.recover(repaired)
        assert files_of(repaired) in (before, after), f"kill at {n}: the repair left a mix of old and new files"
        assert leftovers(repaired) == [], f"kill at {n}"
        # The next generate ends with exactly the new files.
        assert quiet_generate(root) == 0
        assert files_of(root) == after, f"kill at {n}"
        assert leftovers(root) == []
        assert main(["verify", "-c", str(root / "pipeline.toml"), "--root", str(root)]) == 0
        shutil.rmtree(root)
        shutil.rmtree(repaired)
    print(f"killed at each of {killed} changes to the disk")
    assert killed >= 20, "the kill switch never fired: the test proves nothing"
    assert files_of(root) == after


def recover_killed_at(root: Path, n: int) -> bool:
    """outputs.recover in a forked child killed before its Nth change; False once it completes."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.environ["MIGPIPE_TEST_KILL_AT"] = str(n)
            outputs._operations = 0
            outputs.recover(root)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0
    return False


@pytest.mark.parametrize("phase", ["staging", "commit"])
def test_kill_9_during_the_repair_too(tmp_path, states, phase: str) -> None:
    """The repair is itself interruptible: killed at any step, a later repair still ends all old or all new."""
    template, before, after = states
    # Find a kill point whose journal is in the wanted state, halfway through it.
    points = []
    for n in range(1, 500):
        probe = tmp_path / f"probe-{n}"
        shutil.copytree(template, probe, symlinks=True)
        if not generate_killed_at(probe, n):
            break
        journal = probe / outputs.JOURNAL_PATH
        if journal.exists() and f'"state": "{phase}"' in journal.read_text():
            points.append(probe)
    assert points, f"no kill point left a {phase} journal"
    interrupted = points[len(points) // 2]
    repairs = 0
    for m in range(1, 500):
        root = tmp_path / f"repair-{m}"
        shutil.copytree(interrupted, root, symlinks=True)
        if not recover_killed_at(root, m):
            break
        repairs += 1
        for path in set(before) | set(after):
            assert files_of(root).get(path) in (before.get(path), after.get(path)), (m, path)
        outputs.recover(root)
        assert files_of(root) == (before if phase == "staging" else after), f"repair killed at {m}"
        assert leftovers(root) == []
    assert repairs >= 3
    assert files_of(root) == (before if phase == "staging" else after)


def test_kill_9_through_the_command_line_then_the_next_generate_finishes(states) -> None:
    root, before, after = states
    env = {**os.environ, "MIGPIPE_TEST_KILL_AT": "14"}
    command = [sys.executable, "-m", "migpipe", "generate"]
    killed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL
    assert leftovers(root), "killed halfway, the run leaves its journal"
    verify = subprocess.run([sys.executable, "-m", "migpipe", "verify"], cwd=root, capture_output=True, text=True)
    assert verify.returncode == 1
    assert f"{outputs.JOURNAL_PATH}: interrupted: a `migpipe generate` was interrupted" in verify.stdout
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(("dropped an interrupted generate", "finished an interrupted generate"))
    assert files_of(root) == after and leftovers(root) == []


def hold_lock(root: Path) -> int:
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_second_generate_waits_for_the_lock(tmp_path) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    fd = hold_lock(tmp_path)
    try:
        second = subprocess.Popen(
            [sys.executable, "-m", "migpipe", "generate"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "MIGPIPE_LOCK_TIMEOUT": "60"},
        )
        # Long enough for an unlocked generate to have written everything (it takes ~1 s).
        time.sleep(4)
        assert second.poll() is None, "the second generate did not wait for the lock"
        assert files_of(tmp_path) == {}, "the second generate wrote while another held the lock"
    finally:
        os.close(fd)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "migpipe: waiting for another `migpipe generate` in . to finish" in err
    assert "created   render.yaml" in out


def test_a_second_generate_gives_up_clearly_after_the_timeout(tmp_path) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    fd = hold_lock(tmp_path)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "migpipe", "generate"], cwd=tmp_path, capture_output=True, text=True,
            env={**os.environ, "MIGPIPE_LOCK_TIMEOUT": "0.5"}, timeout=60,
        )
    finally:
        os.close(fd)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "another `migpipe generate` is writing in this repository and still holds its lock after 0.5 s" in result.stderr
    assert files_of(tmp_path) == {}


def test_concurrent_generates_of_two_configs_never_mix(tmp_path) -> None:
    configs = {"a": MINIMAL_CONFIG, "b": CHANGED_CONFIG}
    expected = {}
    for name, text in configs.items():
        alone = tmp_path / f"alone-{name}"
        alone.mkdir()
        (alone / "pipeline.toml").write_text(text)
        assert quiet_generate(alone) == 0
        expected[name] = files_of(alone)
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in configs.items():
        (tmp_path / f"{name}.toml").write_text(text)
    for _ in range(3):
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "migpipe", "generate", "-c", str(tmp_path / f"{name}.toml"), "--root", str(root)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )
            for name in configs
        ]
        for run in runs:
            _, err = run.communicate(timeout=120)
            # The later one may refuse to remove what the earlier one wrote for
            # another [outputs]: a clear refusal, never a mix.
            assert run.returncode in (0, 2), err
        state = files_of(root)
        assert state in (expected["a"], expected["b"]) or not leftovers(root) and _is_refusal_state(state, expected)
        assert leftovers(root) == []


def _is_refusal_state(state: dict[str, bytes], expected: dict[str, dict[str, bytes]]) -> bool:
    """Every file belongs wholly to one of the two runs (one of them refused)."""
    return all(content in (expected["a"].get(path), expected["b"].get(path)) for path, content in state.items())


def test_force_through_a_symlink_never_overwrites_pipeline_toml(tmp_path) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / "render.yaml").symlink_to("pipeline.toml")
    code = main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"])
    assert code == 2
    assert (tmp_path / "pipeline.toml").read_text() == MINIMAL_CONFIG
    assert files_of(tmp_path) == {}


def test_force_never_writes_through_a_symlink_to_a_file_that_is_not_an_output(tmp_path, capsys) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('the app')\n")
    (tmp_path / "render.yaml").symlink_to("src/app.py")
    code = main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path), "--force"])
    err = capsys.readouterr().err
    assert code == 2
    assert "render.yaml: is a symbolic link to src/app.py, a file migpipe did not generate; refusing to write through the link, even with --force" in err
    assert (tmp_path / "src" / "app.py").read_text() == "print('the app')\n"


def test_a_file_where_the_migpipe_folder_goes_is_a_clear_error(tmp_path, capsys) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / ".migpipe").write_text("not a folder\n")
    code = main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == "migpipe: error: .migpipe/manifest.json: .migpipe is a file, not a directory (expected a directory holding this file)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".migpipe", "pipeline.toml"]


def test_verify_waits_while_a_generate_holds_the_lock(tmp_path) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    assert quiet_generate(tmp_path) == 0
    fd = hold_lock(tmp_path)
    try:
        reader = subprocess.Popen(
            [sys.executable, "-m", "migpipe", "verify"], cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(4)
        assert reader.poll() is None, "verify read the files while a generate held the lock"
    finally:
        os.close(fd)
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, out + err
    assert "migpipe: waiting for a `migpipe generate` in . to finish" in err


def test_a_journal_naming_a_file_in_git_is_refused_not_followed(tmp_path, capsys) -> None:
    (tmp_path / "pipeline.toml").write_text(MINIMAL_CONFIG)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / ".git" / ".config.migpipe-tmp").write_text("[core]\n\thooksPath = /tmp/evil\n")
    (tmp_path / ".migpipe").mkdir()
    (tmp_path / ".migpipe" / "journal.json").write_text(
        '{"state": "commit", "entries": [{"target": ".git/config", "action": "write", "existed": true}], "directories": []}\n'
    )
    code = main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "an interrupted generate left a journal migpipe cannot read" in err
    assert (tmp_path / ".git" / "config").read_text() == "[core]\n"
