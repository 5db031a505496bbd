""".pre-commit-hooks.yaml, run by the real pre-commit on a temporary repository.

pre-commit clones a hook repository at a commit, so the test commits a copy
of this source tree (what a clone of a tag holds) to a temporary git
repository and points `repo:` at it; pre-commit then pip-installs migpipe
from it into its own environment, as it does for users.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migpipe.cli import main
from tests.conftest import EXAMPLE_CONFIG, REPO_ROOT

pytestmark = pytest.mark.slow

HOOK_REPO_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "migpipe", "templates", "schemas")
WORKFLOW = ".github/workflows/ci-cd.yml"


def _pre_commit() -> list[str]:
    script = Path(sys.executable).parent / "pre-commit"
    if script.exists():
        return [str(script)]
    if shutil.which("pre-commit"):
        return ["pre-commit"]
    pytest.skip("pre-commit is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "migpipe tests",
        "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "migpipe tests",
        "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "NO_COLOR": "1",
    }
    env.pop("GIT_DIR", None)
    return env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, environment) -> tuple[Path, str]:
    """A committed copy of the source tree: (path, HEAD sha)."""
    repo = tmp_path_factory.mktemp("migpipe-hook-repo")
    for name in HOOK_REPO_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, repo / name)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=environment)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=environment)
    subprocess.run(["git", "commit", "-q", "-m", "migpipe"], cwd=repo, check=True, env=environment)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    return repo, sha


@pytest.fixture
def user_repo(tmp_path, hook_repo, environment, capsys) -> Path:
    """A team's repository: pipeline.toml, freshly generated files, the hooks configured."""
    path, sha = hook_repo
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "pipeline.toml")
    assert main(["generate", "-c", str(tmp_path / "pipeline.toml"), "--root", str(tmp_path)]) == 0
    capsys.readouterr()
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n      - id: migpipe-verify\n      - id: migpipe-generate\n        stages: [manual]\n"
    )
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True, env=environment)
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True, env=environment)
    return tmp_path


def pre_commit(repo: Path, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_pre_commit(), "run", *args, "--all-files"],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_verify_hook_passes_then_fails_on_a_hand_edit_and_generate_hook_fixes_it(user_repo, environment) -> None:
    result = pre_commit(user_repo, environment, "migpipe-verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "migpipe verify" in result.stdout and "Passed" in result.stdout

    workflow = user_repo / WORKFLOW
    generated = workflow.read_text()
    workflow.write_text(generated.replace("cancel-in-progress: false", "cancel-in-progress: true", 1))
    result = pre_commit(user_repo, environment, "migpipe-verify")
    assert result.returncode == 1
    assert "Failed" in result.stdout
    assert f"{WORKFLOW}: hand-edited:" in result.stdout
    assert "+      cancel-in-progress: false" in result.stdout

    result = pre_commit(user_repo, environment, "--hook-stage", "manual", "migpipe-generate")
    # pre-commit fails a hook that changed files, so the fix is reviewed and staged.
    assert result.returncode == 1
    assert "files were modified by this hook" in result.stdout
    assert f"updated   {WORKFLOW}" in result.stdout
    assert workflow.read_text() == generated
    assert pre_commit(user_repo, environment, "migpipe-verify").returncode == 0


def test_hook_file_patterns_match_the_default_outputs() -> None:
    import re

    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["migpipe-verify", "migpipe-generate"]
    from migpipe.config.tables import Outputs

    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        pattern = re.compile(hook["files"])
        # host_config defaults to the host's own file (render.yaml, fly.toml, Procfile).
        defaults = [path for path in Outputs().model_dump().values() if path is not None]
        for path in ["pipeline.toml", *defaults, "render.yaml", "fly.toml", "Procfile"]:
            assert pattern.search(path), (hook["id"], path)
        assert not pattern.search("src/app.ts")
