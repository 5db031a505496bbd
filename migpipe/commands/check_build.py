"""migpipe check-build: exit 1 if anything the host runs on its own reaches a migration.

With FILE arguments, each file is something the host runs (a package.json,
Procfile, fly.toml, render.yaml, railway.json, app.json, Dockerfile or shell
script). Without, the entry points come from pipeline.toml: the host's
commands, the files the host also runs from (a Dockerfile it builds, the
package.json its buildpack runs), and the host config file (render.yaml,
fly.toml, Procfile) when it exists.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from migpipe.buildguard import BuildGuardError, Finding, Scanner, Step
from migpipe.config import load_pipeline
from migpipe.errors import EXIT_FINDINGS, EXIT_OK
from migpipe.profiles.hosts import host_profile
from migpipe.profiles.tools import COMMON_FORBIDDEN, tool_profile

FORMATS = ("text", "json")
DEFAULT_CONFIG = "pipeline.toml"


def _locate(argument: str, root: Path) -> Path:
    """A FILE argument: as given (relative to the current directory), else under root."""
    for candidate in (Path(argument), root / argument):
        if candidate.exists():
            return candidate
    raise BuildGuardError(f"{argument}: no such file (looked in . and in {root})")


def _config_line(text: str, key: str) -> int:
    """The line of ``key`` in pipeline.toml, else of [host] (the value is a default)."""
    for pattern in (rf"^\s*{re.escape(key)}\s*=", r"^\s*\[host\]"):
        match = re.search(pattern, text, re.MULTILINE)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _scan_config(config: str, root: Path) -> Scanner:
    pipeline = load_pipeline(config)
    outputs = pipeline.outputs
    scanner = Scanner(
        root,
        tool_profile(pipeline).forbidden or COMMON_FORBIDDEN,
        own_scripts=(outputs.build_guard, outputs.migrate_script),
        # The apply script may be renamed; calling it from the host is still a migration.
        project_commands=[*pipeline.guards.forbidden_commands, outputs.migrate_script],
    )
    workdir = root / pipeline.project.working_directory
    text = Path(config).read_text(encoding="utf-8")
    shown = scanner.display(Path(config))
    host = host_profile(pipeline)
    for entry in host.entry_points:
        key = entry.config_key
        scanner.check_command(entry.command, Step(shown, _config_line(text, key), f"host.{key}"), workdir)
    for followed in host.followed_files:
        if (workdir / followed).is_file():
            scanner.check_file(workdir / followed)
    host_config = root / pipeline.output_paths()["host_config"]
    if host_config.is_file():
        scanner.check_file(host_config)
    return scanner


def find_migrations(files: list[str], root: str, config: str | None) -> list[Finding]:
    root_path = Path(root)
    if not root_path.is_dir():
        raise BuildGuardError(f"--root {root}: no such directory")
    if not files:
        return _scan_config(config or DEFAULT_CONFIG, root_path).findings
    # An explicit --config adds the project's own forbidden commands.
    own = load_pipeline(config).guards.forbidden_commands if config is not None else []
    scanner = Scanner(root_path, COMMON_FORBIDDEN, project_commands=own)
    for argument in files:
        scanner.check_file(_locate(argument, root_path))
    return scanner.findings


def run(files: list[str], root: str, config: str | None, output_format: str) -> int:
    if output_format not in FORMATS:
        raise BuildGuardError(f"--format {output_format}: expected one of {', '.join(FORMATS)}")
    findings = find_migrations(files, root, config)
    if output_format == "json":
        print(json.dumps([finding.to_json() for finding in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            print(finding)
        if findings:
            print(
                f"check-build: {len(findings)} migration command(s) reachable from what the host "
                "runs on its own; migrations run only in the migrate-prod job"
            )
        else:
            print("ok: no migration command is reachable from what the host runs")
    return EXIT_FINDINGS if findings else EXIT_OK
