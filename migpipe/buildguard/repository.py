"""Every host entry point in a repository, checked at once, with exemptions applied.

A host config the pipeline did not declare still runs when someone deploys
with it (a fly.toml left from a trial, a Dockerfile a self-hoster builds), so
the guard reads all of them: Procfiles, fly.toml, render.yaml, railway,
app.json, heroku.yml, vercel.json, litefs.yml, nixpacks.toml, Dockerfiles, compose files
and Terraform for Render. pipeline.toml may exempt an entry point's file with
a written reason; its findings are still reported, marked exempt.
"""
from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from migpipe.buildguard.scanner import SKIPPED_DIRECTORIES, Finding, Scanner, Unresolved
from migpipe.buildguard.sources import kind_of
from migpipe.buildguard.workflows import check_workflows

HOST_KINDS = frozenset(
    {"procfile", "fly.toml", "render.yaml", "railway", "app.json", "heroku.yml", "vercel.json", "litefs.yml", "nixpacks", "dockerfile", "compose", "terraform"}
)
# Directories whose files no host reads: dependencies, build output, and the
# CI's own workflows (the workflow check reads those).
_SKIPPED = SKIPPED_DIRECTORIES | {".github", "__snapshots__", "fixtures", "testdata"}


@dataclass(frozen=True)
class Exemption:
    path: str  # a repository path, '*' and '?' matching within a name
    reason: str

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.path)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)  # each with .exemption set when exempted
    unresolved: list[Unresolved] = field(default_factory=list)
    entry_files: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.exemption is None]

    @property
    def exempted(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.exemption is not None]


_HINT = re.compile(r"docker|compose|procfile|\.toml$|\.ya?ml$|\.json$|\.tf$", re.IGNORECASE)


def host_files(root: Path, files: Iterable[str] | None = None) -> list[Path]:
    """Every file in the repository that a host reads as its config, in a stable order."""
    if files is None:
        files = []
        for directory, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRECTORIES)
            base = os.path.relpath(directory, root)
            files += [name if base == "." else f"{base}/{name}" for name in sorted(names)]
    found: list[Path] = []
    for path in files:
        parts = path.split("/")
        name = parts[-1]
        if _HINT.search(name) and kind_of(name) in HOST_KINDS and not _SKIPPED.intersection(parts[:-1]):
            found.append(root / path)
    return found


def apply_exemptions(findings: Iterable[Finding], exemptions: Sequence[Exemption]) -> list[Finding]:
    result = []
    for finding in findings:
        exemption = next((e for e in exemptions if e.matches(finding.entry_file)), None)
        result.append(replace(finding, exemption=exemption.reason) if exemption else finding)
    return result


def check_repository(
    scanner: Scanner,
    exemptions: Sequence[Exemption] = (),
    files: Iterable[Path] | None = None,
    workflows: bool = True,
) -> Report:
    """Check every host config under the scanner's root (after whatever it has already checked),
    and the team's workflows for steps that migrate a real database."""
    entry_files = list(files) if files is not None else host_files(scanner.root, scanner.files())
    for path in entry_files:
        scanner.check_file(path)
    findings = list(scanner.findings)
    if workflows:
        findings += check_workflows(scanner, scanner.root)
    return Report(
        apply_exemptions(findings, exemptions),
        list(scanner.unresolved),
        [scanner.display(path) for path in entry_files],
        sorted(scanner.followed),
    )
