"""Run a generated workflow with the real `act` on a clean runner (see conftest.py).

The runner is act's host mode (``-P ubuntu-latest=-self-hosted``): every
`run:` step is real bash on this machine, but with an environment built from
nothing, as a fresh GitHub runner has:

* PATH is one directory, ``runner-bin``, of links to this machine's copies of
  the commands a GitHub-hosted runner image has (``RUNNER_IMAGE`` of
  tests/support/step_order.py: git, curl, python3, psql, pg_dump, coreutils …)
  taken from /usr/local/bin, /usr/bin and /bin only: no virtualenv, no pyenv,
  no migpipe, no squawk. Python (a fresh virtualenv) and Node arrive only
  through the stand-ins for actions/setup-python and actions/setup-node.
* HOME is the test's own; pip reads no configuration file of this machine
  (PIP_CONFIG_FILE=/dev/null) and no index (PIP_NO_INDEX=1): it installs from
  PIP_FIND_LINKS, the test's wheel directory only (migpipe's wheel built from
  this checkout, its dependencies and squawk-cli). npm runs offline.
* Secrets reach act in a 0600 --secret-file, never on its command line.

So migpipe and squawk exist in a job only after the workflow's own
``python -m pip install`` steps ran: a step that uses one before that fails
here as it would on GitHub ("migpipe is not installed").
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from migpipe.pins import ACTIONS
from tests.support.step_order import RUNNER_IMAGE, distribution_commands

ACT = Path(sys.executable).parent / "act"
# Where the runner's commands come from: the machine's own system directories.
SYSTEM_DIRS = ("/usr/local/bin", "/usr/bin", "/bin")
# The interpreter the setup-python stand-in makes virtualenvs from: the one
# this test environment was made from (its wheels fit it), never the venv.
BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
NODE_COMMANDS = ("node", "npm", "npx", "corepack")
# Commands that must not be on the runner before the workflow installs them.
OURS = distribution_commands("migpipe") | distribution_commands("squawk-cli")


def build_runner_bin(folder: Path) -> Path:
    """The runner image's commands, as links to this machine's system copies."""
    folder.mkdir(parents=True, exist_ok=True)
    search = os.pathsep.join(SYSTEM_DIRS)
    for name in sorted(RUNNER_IMAGE):
        found = shutil.which(name, path=search)
        if found and not (folder / name).exists():
            (folder / name).symlink_to(found)
    leaked = {name for name in OURS | set(NODE_COMMANDS) | {"python", "pip"} if (folder / name).exists()}
    assert not leaked, f"the clean runner's PATH would hold {sorted(leaked)}"
    if (folder / "python3").exists():
        # Nor may the image's own Python import migpipe (a machine-wide install).
        probe = subprocess.run(
            [str(folder / "python3"), "-c", "import migpipe"],
            env={"PATH": str(folder)}, cwd=folder, capture_output=True, check=False,
        )
        assert probe.returncode != 0, "the runner's python3 can import migpipe"
    return folder


def build_node_bin(folder: Path) -> Path:
    """What the setup-node stand-in puts on PATH: this machine's node and npm."""
    folder.mkdir(parents=True, exist_ok=True)
    search = os.pathsep.join(SYSTEM_DIRS)
    for name in NODE_COMMANDS:
        found = shutil.which(name, path=search)
        assert found, f"{name} is not installed on this machine"
        if not (folder / name).exists():
            (folder / name).symlink_to(found)
    return folder


_INPUTS = ("node-version", "python-version", "go-version", "cache", "persist-credentials", "version")


def write_action_standins(base: Path, node_bin: Path) -> dict[str, Path]:
    """A local stand-in for every action migpipe pins (migpipe.pins.ACTIONS),
    served to act with --local-repository. Returns action name -> repository
    folder (an action in a subfolder, e.g. superfly/flyctl-actions/setup-flyctl,
    lives in that subfolder of its repository's stand-in)."""
    folders: dict[str, Path] = {}
    for name in ACTIONS:
        owner, repo, *subpath = name.split("/")
        repo_folder = base / f"{owner}__{repo}"
        action_folder = repo_folder.joinpath(*subpath)
        action_folder.mkdir(parents=True, exist_ok=True)
        if name == "actions/setup-python":
            # A fresh virtualenv (nothing installed but pip), as setup-python
            # puts a fresh Python from its tool cache on PATH.
            script = (
                'venv_dir=$(mktemp -d "${RUNNER_TEMP:-/tmp}/setup-python-standin.XXXXXX")\n'
                f'"{BASE_PYTHON}" -m venv "$venv_dir"\n'
                'echo "$venv_dir/bin" >> "$GITHUB_PATH"\n'
                'echo "stand-in for actions/setup-python: fresh Python at $venv_dir/bin"\n'
            )
        elif name == "actions/setup-node":
            script = (
                f'echo "{node_bin}" >> "$GITHUB_PATH"\n'
                "echo \"stand-in for actions/setup-node: this machine's node and npm\"\n"
            )
        else:
            script = f"echo 'stand-in for {name}: does nothing'\n"
        inputs = "".join(
            f"  {key}:\n    description: accepted and ignored\n    required: false\n" for key in _INPUTS
        )
        body = "\n".join("        " + line for line in script.rstrip("\n").splitlines())
        (action_folder / "action.yml").write_text(
            f"name: stand-in for {name}\n"
            "description: Test stand-in (no network); puts nothing of migpipe's on PATH.\n"
            f"inputs:\n{inputs}"
            "runs:\n  using: composite\n  steps:\n"
            f"    - shell: bash\n      run: |\n{body}\n"
        )
        folders[name] = repo_folder
    return folders


def build_wheel_index(folder: Path, requirements: list[str]) -> Path:
    """migpipe's wheel, built from this checkout, and wheels of everything it
    needs plus `requirements`, downloaded from this machine's configured index."""
    folder.mkdir(parents=True, exist_ok=True)
    repo_root = Path(__file__).resolve().parents[2]
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(folder), str(repo_root)],
        capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(folder.glob("migpipe-*.whl"))
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(folder),
         str(wheel), *requirements],
        capture_output=True, text=True, check=False,
    )
    assert downloaded.returncode == 0, downloaded.stdout[-3000:] + downloaded.stderr[-3000:]
    return folder


@dataclass
class ActRun:
    """One act run: its exit code and its whole output."""

    returncode: int
    output: str
    workflow_name: str

    def _prefix(self, job_name: str) -> str:
        return f"[{self.workflow_name}/{job_name}"

    def job_lines(self, job_name: str) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith(self._prefix(job_name))]

    def job_log(self, job_name: str) -> str:
        return "\n".join(self.job_lines(job_name))

    def job_result(self, job_name: str) -> str | None:
        """'succeeded', 'failed', or None when act never started the job."""
        match = re.search(
            rf"{re.escape(self._prefix(job_name))}\s*\] 🏁  Job (succeeded|failed)", self.output
        )
        return match.group(1) if match else None

    def step_result(self, job_name: str, step_name: str) -> str | None:
        """'succeeded', 'failed', or None when the step never ran."""
        for line in self.job_lines(job_name):
            match = re.search(r"(✅  Success|❌  Failure) - Main (.*?)( \[[^]]*\])?$", line)
            if match and match.group(2) == step_name:
                return "succeeded" if match.group(1).startswith("✅") else "failed"
        return None


@dataclass
class ActRunner:
    """Runs act on a repository with the clean runner (see the module docstring)."""

    home: Path
    runner_bin: Path
    wheel_index: Path
    standins: dict[str, Path]
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        return {
            "PATH": str(self.runner_bin),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(self.wheel_index),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "npm_config_offline": "true",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
            "npm_config_update_notifier": "false",
            **self.extra_env,
            **extra,
        }

    def __call__(
        self,
        root: Path,
        event: str,
        *,
        secrets: Mapping[str, str] = {},
        env: Mapping[str, str] = {},
        payload: Mapping[str, object] | None = None,
        workflow: str = ".github/workflows/ci-cd.yml",
        job: str | None = None,
        concurrent_jobs: int = 1,
        timeout: float = 900,
    ) -> ActRun:
        """Run `event` on the committed repository at `root`; `env` adds to the
        runner's environment (e.g. a stand-in API's URL); `job` runs only
        that job id (and, as act does, nothing it needs)."""
        from ruamel.yaml import YAML

        workflow_name = str(YAML(typ="safe").load((root / workflow).read_text()).get("name", workflow))
        self.home.mkdir(parents=True, exist_ok=True)
        secret_file = self.home / "act.secrets"
        secret_file.touch(mode=0o600)
        secret_file.write_text("".join(f"{name}={json.dumps(value)}\n" for name, value in secrets.items()))
        argv = [
            str(ACT), event,
            "-P", "ubuntu-latest=-self-hosted",
            # One job at a time: the test jobs may share one test database.
            "--concurrent-jobs", str(concurrent_jobs),
            "-W", workflow,
            "--secret-file", str(secret_file),
        ]
        for name, (sha, _release) in ACTIONS.items():
            repository = "/".join(name.split("/")[:2])
            argv += ["--local-repository", f"{repository}@{sha}={self.standins[name]}"]
        if job is not None:
            argv += ["-j", job]
        if payload is not None:
            payload_file = self.home / f"{event}.json"
            payload_file.write_text(json.dumps(payload))
            argv += ["-e", str(payload_file)]
        result = subprocess.run(
            argv, cwd=root, env=self.env(env), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        return ActRun(result.returncode, result.stdout + result.stderr, workflow_name)


def commit_repository(root: Path, env: Mapping[str, str] | None = None) -> None:
    """`git init` + commit everything at `root` (act reads the event's commit)."""
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "app"],
    ):
        result = subprocess.run(argv, cwd=root, capture_output=True, text=True, env=env, check=False)
        assert result.returncode == 0, f"{argv}: {result.stdout}{result.stderr}"


# --------------------------------------------------------------------------
# Render's deploy hook, stand-in: records the requests (the fixture
# `deploy_hook` serves it on 127.0.0.1).

HOOK_PATH = "/deploy/srv-standin"
HOOK_KEY = "hook-key-5f1d"


@dataclass
class DeployHook:
    port: int = 0
    calls: list[tuple[float, str, str]] = field(default_factory=list)  # (time, method, path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}?key={HOOK_KEY}"


# The test jobs' database role (pipeline.toml [test_database] user/password:
# a throwaway database's, not a secret); the fixture `test_role` creates it.
TEST_ROLE, TEST_ROLE_PASSWORD = "ci_tester", "ci_tester_pw"
