"""Every invalid pipeline.toml: exit 2, exact located messages, no traceback, nothing written.

Each ``bad/*.toml`` states the lines it must produce in ``# expect:``
comments at its top. Files that cannot be committed (empty, binary, special
files, huge) are made by the tests below.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.conftest import MINIMAL_CONFIG

BAD_DIR = Path(__file__).parent / "bad"
BAD_CONFIGS = sorted(BAD_DIR.glob("*.toml"))


def expected_lines(config: Path) -> list[str]:
    text = config.read_text(encoding="utf-8-sig")
    return [
        line.removeprefix("# expect: ")
        for line in text.splitlines()
        if line.startswith("# expect: ")
    ]


def assert_refused(result, expected: list[str], repo: Path) -> None:
    assert result.code == 2, result.err
    assert "Traceback" not in result.err + result.out
    assert result.error_lines == expected
    assert list(repo.iterdir()) == [], "a refused config must not write anything"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    return tmp_path


def test_the_corpus_is_large_enough() -> None:
    assert len(BAD_CONFIGS) >= 40
    for config in BAD_CONFIGS:
        assert expected_lines(config), f"{config.name} has no '# expect:' line"


@pytest.mark.parametrize("command", ["generate", "verify"])
@pytest.mark.parametrize("config", BAD_CONFIGS, ids=lambda path: path.stem)
def test_bad_config(config: Path, command: str, workspace: Path, run_cli) -> None:
    (workspace / "pipeline.toml").write_bytes(config.read_bytes())
    result = run_cli([command, "-c", "pipeline.toml", "--root", "repo"], workspace)
    assert_refused(result, expected_lines(config), workspace / "repo")


def test_messages_use_the_name_the_user_typed(workspace: Path, run_cli) -> None:
    (workspace / "conf").mkdir()
    (workspace / "conf" / "policy.toml").write_text(MINIMAL_CONFIG.replace("version = 6", "version = 8"))
    result = run_cli(["generate", "-c", "./conf/policy.toml", "--root", "repo"], workspace)
    assert_refused(result, ["./conf/policy.toml:8:1: tool.version: 8 is not allowed (expected one of 6, 7)"], workspace / "repo")


def test_valid_minimal_config_is_accepted(workspace: Path, run_cli) -> None:
    (workspace / "pipeline.toml").write_text(MINIMAL_CONFIG)
    result = run_cli(["generate", "-c", "pipeline.toml", "--root", "repo"], workspace)
    assert result.code == 0, result.err


# --------------------------------------------------------------------------
# Files that are not a readable TOML text file. Each is real: no test fakes
# an error by patching (tests run as root, so chmod 000 would not stop a read).


def _special(name: str, make, expected: str):
    return pytest.param(make, expected, id=name)


def _write(content: bytes):
    def make(path: Path) -> None:
        path.write_bytes(content)

    return make


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling_symlink(path: Path) -> None:
    path.symlink_to("gone.toml")


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _through_a_file(path: Path) -> None:
    path.write_text("not a directory")


SPECIAL_FILES = [
    _special("empty", _write(b""), "pipeline.toml:1:1: the file is empty (expected at least version = 1, [project], [tool] and [host])"),
    _special("only-white-space", _write(b"\n  \n\t\n"), "pipeline.toml:1:1: the file is empty (expected at least version = 1, [project], [tool] and [host])"),
    _special("binary", _write(b"version = 1\n[project]\nna\x00me = 1\n"), "pipeline.toml:3:3: is a binary file (found a NUL byte; expected TOML text)"),
    _special("png", _write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "pipeline.toml:3:1: is a binary file (found a NUL byte; expected TOML text)"),
    _special("latin-1", _write('version = 1\n[project]\nname = "café"\n'.encode("latin-1")), "pipeline.toml:3:12: is not UTF-8 text (found byte 0xe9; expected TOML text in UTF-8)"),
    _special("directory", _directory, "pipeline.toml: is a directory (expected a pipeline.toml file)"),
    _special("missing", lambda path: None, "pipeline.toml: no such file (expected a pipeline.toml; start from pipeline.example.toml)"),
    _special("dangling-symlink", _dangling_symlink, "pipeline.toml: is a symbolic link to gone.toml, which does not exist"),
    _special("symlink-loop", _symlink_loop, "pipeline.toml: cannot be read (Too many levels of symbolic links)"),
    _special("socket", _socket, "pipeline.toml: is a socket (expected a pipeline.toml file)"),
    _special("several-megabytes", _write(b"# padding\n" * 400_000), "pipeline.toml: is larger than 1048576 bytes (expected a pipeline.toml of a few KiB)"),
    _special("deeply-nested", _write(b"version = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"), "pipeline.toml: TOML nests arrays or inline tables too deeply (expected a pipeline.toml)"),
    _special("crlf", _write(MINIMAL_CONFIG.replace("version = 6", "version = 8").replace("\n", "\r\n").encode()), "pipeline.toml:8:1: tool.version: 8 is not allowed (expected one of 6, 7)"),
]


@pytest.mark.parametrize(("make", "expected"), SPECIAL_FILES)
def test_special_config_file(make, expected: str, workspace: Path, run_cli) -> None:
    make(workspace / "pipeline.toml")
    result = run_cli(["generate", "-c", "pipeline.toml", "--root", "repo"], workspace)
    assert_refused(result, [expected], workspace / "repo")


def test_path_through_a_regular_file(workspace: Path, run_cli) -> None:
    _through_a_file(workspace / "conf")
    result = run_cli(["verify", "-c", "conf/pipeline.toml", "--root", "repo"], workspace)
    assert_refused(result, ["conf/pipeline.toml: cannot be read (Not a directory)"], workspace / "repo")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_that_fails_while_reading(workspace: Path, run_cli) -> None:
    # /proc/self/mem is a regular file that even root cannot read at offset 0:
    # the read itself fails with EIO.
    result = run_cli(["generate", "-c", "/proc/self/mem", "--root", "repo"], workspace)
    assert_refused(result, ["/proc/self/mem: cannot be read (Input/output error)"], workspace / "repo")


def test_named_pipe_is_refused_without_blocking(workspace: Path) -> None:
    # In a subprocess with a timeout: opening a FIFO for reading would block
    # forever, and a regression must fail the test instead of hanging it.
    os.mkfifo(workspace / "pipeline.toml")
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "generate", "-c", "pipeline.toml", "--root", "repo"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "pipeline.toml: is a named pipe (expected a pipeline.toml file)"
    ]
    assert list((workspace / "repo").iterdir()) == []


def test_too_many_problems_are_capped(workspace: Path, run_cli) -> None:
    unknown = "".join(f"unknown_key_{n} = {n}\n" for n in range(80))
    (workspace / "pipeline.toml").write_text(MINIMAL_CONFIG.replace('service_name = "acme-api"\n', 'service_name = "acme-api"\n' + unknown))
    result = run_cli(["generate", "-c", "pipeline.toml", "--root", "repo"], workspace)
    assert result.code == 2
    lines = result.error_lines
    assert len(lines) == 51
    assert lines[0].startswith("pipeline.toml:13:1: host.unknown_key_0: unknown key")
    assert lines[-1] == "pipeline.toml: 30 more problems not shown (fix the ones above first)"


WRONG_TYPE = BAD_DIR / "type-integer-for-string.toml"
# Every command that reads pipeline.toml (FILE / --root where a command needs them).
COMMANDS_THAT_READ_THE_CONFIG = [
    ["generate", "-c", "pipeline.toml", "--root", "repo"],
    ["verify", "-c", "pipeline.toml", "--root", "repo"],
    ["check-build", "-c", "pipeline.toml", "--root", "repo"],
    ["check-build", "-c", "pipeline.toml", "--root", "repo", "pipeline.toml"],
    ["lint", "-c", "pipeline.toml", "migration.sql"],
    ["migrate", "-c", "pipeline.toml", "--root", "repo", "--plan-only"],
    ["deploy", "-c", "pipeline.toml", "--root", "repo", "--sha", "0" * 40],
    ["approval-check", "-c", "pipeline.toml"],
]


@pytest.mark.parametrize("argv", COMMANDS_THAT_READ_THE_CONFIG, ids=lambda argv: argv[0] + ("+file" if argv[-1] == "pipeline.toml" else ""))
def test_a_wrong_type_is_located_by_every_command(argv: list[str], workspace: Path, run_cli) -> None:
    (workspace / "pipeline.toml").write_bytes(WRONG_TYPE.read_bytes())
    (workspace / "migration.sql").write_text("SELECT 1;\n", encoding="utf-8")
    result = run_cli(argv, workspace)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err + result.out
    assert result.error_lines == expected_lines(WRONG_TYPE)
