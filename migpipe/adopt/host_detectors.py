"""One detector per host: which config file says the repository deploys there.

``HOST_DETECTORS`` maps a host name to its detector. Whether migpipe can
generate for a host is decided by the host-profile registry, not here: a
detected host without a profile (Vercel until its profile exists, Railway,
a self-hosted Docker image, Render through Terraform) is reported as found
but unsupported.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from migpipe.adopt.findings import HostFinding
from migpipe.adopt.repo import Repo, line_of, parent

HostDetector = Callable[[Repo], list[HostFinding]]

_HEROKU_APP_KEYS = ("addons", "buildpacks", "formation", "stack", "environments", "scripts")


def detect_render(repo: Repo) -> list[HostFinding]:
    found = []
    for path in repo.named("render.yaml", "render.yml"):
        if parent(path) == ".":
            found.append(HostFinding("render", True, path, f"{path} (a Render Blueprint)"))
        else:
            finding = HostFinding("render-blueprint-elsewhere", False, path, f"{path}")
            finding.notes.append("Render reads a Blueprint from render.yaml at the repository root; this one is left as it is")
            found.append(finding)
    for path in repo.named("*.tf"):
        text = repo.text(path) or ""
        match = re.search(r'resource\s+"render_\w+"', text)
        if match:
            finding = HostFinding("render-terraform", False, path, f"{path}:{line_of(text, match.start())} {match.group()}")
            finding.notes.append("Render services defined in Terraform: migpipe governs render.yaml Blueprints, not Terraform")
            found.append(finding)
            break
    return found


def detect_fly(repo: Repo) -> list[HostFinding]:
    return [HostFinding("fly", True, path, f"{path} (a Fly.io app)", directory=parent(path)) for path in repo.named("fly.toml")]


def detect_heroku(repo: Repo) -> list[HostFinding]:
    found = []
    procfiles = [p for p in repo.named("Procfile") if parent(p) == "."]
    app_json = repo.json("app.json") if repo.exists("app.json") else None
    heroku_app = app_json is not None and any(key in app_json for key in _HEROKU_APP_KEYS) and "expo" not in app_json
    if procfiles:
        evidence = "Procfile" + (" and app.json" if heroku_app else "")
        found.append(HostFinding("heroku", True, "Procfile", evidence))
    elif heroku_app:
        found.append(HostFinding("heroku", True, "app.json", "app.json (a Heroku app manifest)"))
    for package in repo.packages:
        if "heroku-postbuild" in package.scripts() and not found:
            found.append(HostFinding("heroku", True, package.path, f"{package.path} scripts.heroku-postbuild", directory=package.directory))
    return found


def detect_vercel(repo: Repo) -> list[HostFinding]:
    found = [HostFinding("vercel", True, path, f"{path} (Vercel project config)", directory=parent(path)) for path in repo.named("vercel.json")]
    for package in repo.packages:
        if "vercel-build" in package.scripts() and not any(f.directory == package.directory for f in found):
            found.append(HostFinding("vercel", True, package.path, f"{package.path} scripts.vercel-build", directory=package.directory))
    return found


def detect_railway(repo: Repo) -> list[HostFinding]:
    return [HostFinding("railway", False, p, f"{p} (Railway)", directory=parent(p)) for p in repo.named("railway.json", "railway.toml")]


def detect_docker(repo: Repo) -> list[HostFinding]:
    found = []
    dockerfiles = repo.named("Dockerfile", "Dockerfile.*", "*.Dockerfile")
    if dockerfiles:
        found.append(HostFinding("docker", False, dockerfiles[0], f"{', '.join(dockerfiles[:3])}{' …' if len(dockerfiles) > 3 else ''} (container images)"))
    for path in repo.named("Dockerrun.aws.json"):
        found.append(HostFinding("aws-elastic-beanstalk", False, path, path))
    return found


HOST_DETECTORS: dict[str, HostDetector] = {
    "render": detect_render,
    "fly": detect_fly,
    "heroku": detect_heroku,
    "vercel": detect_vercel,
    "railway": detect_railway,
    "docker": detect_docker,
}
