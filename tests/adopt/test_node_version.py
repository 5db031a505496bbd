"""Node.js version detection: the CI's setup-node (matrix, env, node-version-file, called workflows), then the files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from migpipe.adopt.stack import detect_stack


def _repo(root: Path, workflow: str | None = None, files: dict[str, str] | None = None, package: dict | None = None) -> Path:
    (root / "prisma").mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n')
    (root / "package.json").write_text(json.dumps({"name": "x", "devDependencies": {"prisma": "6.1.0"}, **(package or {})}))
    (root / "render.yaml").write_text("services:\n  - type: web\n    name: x\n    runtime: node\n")
    if workflow is not None:
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "ci.yml").write_text(workflow)
    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def _ci(setup_node: str, job_extra: str = "", top: str = "") -> str:
    return (
        f"name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\n{top}jobs:\n  test:\n    runs-on: ubuntu-latest\n{job_extra}"
        f"    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n{setup_node}"
        "      - run: npm ci\n      - run: npm test\n"
    )


@pytest.mark.parametrize(
    ("workflow", "files", "package", "expected"),
    [
        (_ci("          node-version: ${{ matrix.node }}\n", "    strategy:\n      matrix:\n        node: [18, 22, 20]\n"), {}, None, "22"),
        (_ci("          node-version: ${{ env.NODE_VERSION }}\n", top="env:\n  NODE_VERSION: '20.11'\n"), {}, None, "20.11"),
        (_ci("          node-version-file: .nvmrc\n"), {".nvmrc": "v21.7.1\n"}, None, "21.7.1"),
        (_ci("          node-version-file: package.json\n"), {}, {"volta": {"node": "18.19.0"}}, "18.19.0"),
        (None, {".tool-versions": "python 3.12.1\nnodejs 20.10.0\n"}, None, "20.10.0"),
        (None, {}, {"volta": {"node": "22.1.0"}, "engines": {"node": ">=18"}}, "22.1.0"),
        (None, {}, {"engines": {"node": ">=18"}}, "18"),
    ],
    ids=["matrix-newest", "env", "node-version-file", "node-version-file-package-volta", "tool-versions", "volta", "engines"],
)
def test_node_version(tmp_path: Path, workflow: str | None, files: dict[str, str], package: dict | None, expected: str) -> None:
    stack = detect_stack(_repo(tmp_path, workflow, files, package))
    assert stack.node_version is not None and stack.node_version[0] == expected, stack.node_version


def test_a_reusable_workflow_the_ci_calls_gives_the_version(tmp_path: Path) -> None:
    caller = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  tests:\n    uses: ./.github/workflows/unit.yml\n"
    called = _ci("          node-version: 22.4.1\n").replace("on:\n  push:\n    branches: [main]\n  pull_request:\n", "on:\n  workflow_call:\n")
    stack = detect_stack(_repo(tmp_path, caller, {".github/workflows/unit.yml": called}))
    assert stack.node_version == ("22.4.1", ".github/workflows/unit.yml jobs.test setup-node node-version")
