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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from migpipe.pins import ACTIONS
from tests.runtime.standin import write_flyctl_standin
from tests.support.postgres import PostgresServer
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
            # puts a fresh Python from its tool cache on PATH: a copy of one
            # made once, never used (`python -m venv` takes ~10 s per job on a
            # loaded machine, a copy 0.3 s). The copy's pip scripts named the
            # template's interpreter: they are pointed at the copy's own.
            template = base / "setup-python-template"
            if not template.exists():
                subprocess.run([str(BASE_PYTHON), "-m", "venv", str(template)], check=True)
            script = (
                'venv_dir=$(mktemp -d "${RUNNER_TEMP:-/tmp}/setup-python-standin.XXXXXX")\n'
                f'cp -a "{template}/." "$venv_dir/"\n'
                f'sed -i "s|{template}|$venv_dir|g" "$venv_dir"/bin/pip* "$venv_dir"/bin/activate*\n'
                'echo "$venv_dir/bin" >> "$GITHUB_PATH"\n'
                'echo "stand-in for actions/setup-python: fresh Python at $venv_dir/bin"\n'
            )
        elif name == "superfly/flyctl-actions/setup-flyctl":
            # flyctl talks to Fly's API: its stand-in (tests/runtime/standin.py)
            # answers as told by FLYCTL_STANDIN_* in the runner's environment.
            flyctl_bin = write_flyctl_standin(base / "flyctl-standin-bin", str(BASE_PYTHON)).parent
            script = (
                f'echo "{flyctl_bin}" >> "$GITHUB_PATH"\n'
                'echo "stand-in for superfly/flyctl-actions/setup-flyctl: the flyctl stand-in"\n'
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


def build_npm_cache(folder: Path, manifest: Path) -> Path:
    """An npm cache holding the packages of the lockfile in `manifest` (e.g.
    the Vercel CLI's, migpipe/profiles/hosts/vercel_cli), filled once from
    this machine's npm registry: the runner's npm, offline, installs them from
    it (npm_config_cache in the runner's environment), as its pip installs from
    the wheel index."""
    install = folder / "install"
    install.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(manifest / name, install / name)
    filled = subprocess.run(
        ["npm", "ci", "--prefix", str(install), "--ignore-scripts", "--no-audit", "--no-fund",
         "--cache", str(folder / "cache")],
        capture_output=True, text=True, check=False, timeout=900,
    )
    assert filled.returncode == 0, filled.stdout[-3000:] + filled.stderr[-3000:]
    shutil.rmtree(install)
    return folder / "cache"


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

    def job_summary(self, job_name: str) -> str:
        """What the job's steps wrote to $GITHUB_STEP_SUMMARY: act prints each
        step's summary after the step, as ``⚙  Summary - <first line>`` and the
        other lines unprefixed, until the job's next line (act runs one job at
        a time here, so no other job's line comes between)."""
        prefix, parts, inside = self._prefix(job_name), [], False
        for line in self.output.splitlines():
            if line.startswith(prefix):
                marker = re.search(r"⚙  Summary - (.*)$", line)
                inside = marker is not None
                if marker:
                    parts.append(marker.group(1))
            elif line.startswith(f"[{self.workflow_name}/"):
                inside = False
            elif inside:
                parts.append(line)
        return "\n".join(parts)

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
        that job id and, as act 0.2.89 does, the jobs it needs (their outputs
        reach it as on GitHub)."""
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
    git(root, ["init", "-q", "-b", "main"], env)
    commit_change(root, "app", env)


def commit_change(root: Path, message: str, env: Mapping[str, str] | None = None) -> str:
    """Commit everything at `root` (additions, edits and deletions); returns the new HEAD."""
    git(root, ["add", "-A"], env)
    git(root, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], env)
    return head_sha(root)


def head_sha(root: Path) -> str:
    return git(root, ["rev-parse", "HEAD"]).strip()


def git(root: Path, args: list[str], env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"git {args}: {result.stdout}{result.stderr}"
    return result.stdout


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


# --------------------------------------------------------------------------
# The Prisma app under test (the fixture `make_project` of conftest.py makes
# one): package.json scripts, migrations, the example pipeline.toml adapted to
# this machine, the generated files, one commit.
#
# Prisma's migration engine is a binary downloaded from a host we cannot
# reach: ``tests/migrate/standin/prisma`` is installed as the project's
# `prisma` package (a local npm package) and applies migration.sql files the
# way Prisma records them in _prisma_migrations.

STANDIN_PRISMA = Path(__file__).resolve().parents[1] / "migrate" / "standin" / "prisma"
# Where the tests' own migpipe, npm and node are (the developer's machine, not the runner).
TEST_BIN = Path(sys.executable).parent


@dataclass
class Project:
    root: Path
    test_db: str
    prod_db: str

    def migration(self, name: str) -> Path:
        return self.root / "prisma" / "migrations" / name / "migration.sql"

    def write_migration(self, name: str, sql: str) -> Path:
        path = self.migration(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
        return path


def add_prisma_package(root: Path) -> str:
    """The stand-in prisma CLI as a local npm package named `prisma`, inside the
    project (act runs a copy of the repository elsewhere, so the path must be
    relative); returns the package.json dependency spec."""
    folder = root / "vendor" / "prisma-standin"
    folder.mkdir(parents=True)
    shutil.copy(STANDIN_PRISMA, folder / "prisma")
    (folder / "prisma").chmod(0o755)
    (folder / "package.json").write_text(
        json.dumps({"name": "prisma", "version": "0.0.0-standin", "bin": {"prisma": "prisma"}})
    )
    return "file:vendor/prisma-standin"


def prisma_pipeline_toml(example: str, port: int, test_db: str) -> str:
    """The example pipeline.toml for this app: the test database on the tests'
    server, no Vercel step (it needs the network), Render's deploy hook."""
    text = re.sub(r"\n# The team's own deploy steps.*?secrets = \[\"VERCEL_TOKEN\"\]\n", "\n", example, flags=re.DOTALL)
    text = text.replace(
        "[test_database]\n",
        f'[test_database]\nuser = "{TEST_ROLE}"\npassword = "{TEST_ROLE_PASSWORD}"\n'
        f'port = {port}\ndatabase = "{test_db}"\n',
    )
    # The deploy hook stand-in (the weaker mode, kept for these tests); the API
    # mode is proven in tests/runtime/test_deploy_render.py.
    return text.replace('mode = "api"', 'mode = "hook"\nhook_secret = "RENDER_DEPLOY_HOOK_URL"')


def write_prisma_project(
    root: Path,
    pipeline_toml: str,
    migrations: Mapping[str, str],
    build_render: str = "echo building for render",
    edit_workflow: Callable[[str], str] | None = None,
    files: Mapping[str, str] | None = None,
) -> None:
    """Write the app (and any other `files`, e.g. a Dockerfile), `npm install`
    it, `migpipe generate` (this checkout's, as a user's migpipe does),
    optionally edit the workflow, and commit."""
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "prisma").mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    )
    for name, sql in migrations.items():
        (root / "prisma" / "migrations" / name).mkdir(parents=True)
        (root / "prisma" / "migrations" / name / "migration.sql").write_text(sql)
    # The app's own test scripts check the database the test job built.
    check_table = 'psql "$DATABASE_URL" --no-psqlrc --pset=pager=off -Atc \'SELECT count(*) FROM "User"\''
    (root / "package.json").write_text(
        json.dumps(
            {
                "name": "app",
                "version": "1.0.0",
                "private": True,
                "scripts": {
                    "build": "echo building",
                    "build:render": build_render,
                    "start": "node server.js",
                    "test:backend": check_table,
                    "test:integration": check_table,
                },
                "devDependencies": {"prisma": add_prisma_package(root)},
            },
            indent=2,
        )
    )
    (root / "pipeline.toml").write_text(pipeline_toml)
    run_here(["npm", "install", "--offline", "--no-audit", "--no-fund", "--silent"], root)
    run_here([str(TEST_BIN / "migpipe"), "generate"], root)
    if edit_workflow is not None:
        workflow = root / ".github" / "workflows" / "ci-cd.yml"
        workflow.write_text(edit_workflow(workflow.read_text()))
    (root / ".gitignore").write_text("node_modules/\nmigpipe-backups/\n")
    commit_repository(root)


def run_here(argv: list[str], cwd: Path) -> str:
    """Run a command of the tests' own environment (its migpipe, npm) in `cwd`."""
    env = {**os.environ, "PATH": f"{TEST_BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"{argv}: {result.stdout}{result.stderr}"
    return result.stdout


def pull_request_payload(base_sha: str, number: int = 7, head_ref: str = "feature") -> dict[str, object]:
    """A pull_request event whose base is `base_sha`: the review compares HEAD with it."""
    return {"pull_request": {"number": number, "head": {"ref": head_ref}, "base": {"ref": "main", "sha": base_sha}}}


def applied_migrations(server: PostgresServer, database: str) -> list[str]:
    """The migrations Prisma (or its stand-in) recorded as finished, by name."""
    exists = server.psql(database, "SELECT to_regclass('public._prisma_migrations') IS NOT NULL")
    if exists != "t":
        return []
    rows = server.psql(database, "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1")
    return rows.splitlines()


def user_columns(server: PostgresServer, database: str) -> list[str]:
    """The columns of the app's "User" table (none when it does not exist)."""
    return server.psql(
        database,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'User' ORDER BY column_name",
    ).splitlines()
