"""Selecting Fly.io or Heroku without what it needs: exit 2, one located line per problem, nothing written."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.hosts.conftest import HEAD

CASES = [
    pytest.param(
        '[host]\nname = "fly"\n',
        ["pipeline.toml:11:1: host.app: missing required key"],
        id="fly-without-app",
    ),
    pytest.param(
        '[host]\nname = "heroku"\nstart_command = "npm start"\n',
        ["pipeline.toml:11:1: host.app: missing required key"],
        id="heroku-without-app",
    ),
    pytest.param(
        '[host]\nname = "fly"\napp = "Acme API"\n',
        ["pipeline.toml:13:1: host.app: must be a Fly app name: lowercase letters, digits and '-' (at most 63)"],
        id="fly-app-name",
    ),
    pytest.param(
        '[host]\nname = "heroku"\napp = "acme_api"\n',
        [
            "pipeline.toml:13:1: host.app: must be a Heroku app name: 3 to 30 lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-'"
        ],
        id="heroku-app-name",
    ),
    pytest.param(
        '[host]\nname = "fly"\napp = "acme"\nrelease_command = "npx prisma migrate deploy"\n',
        ["pipeline.toml:14:1: host.release_command: unknown key (did you mean 'start_command'?)"],
        id="fly-release-command-is-not-a-key",
    ),
    pytest.param(
        '[host]\nname = "heroku"\napp = "acme"\n\n[outputs]\nhost_config = "config/Procfile"\n',
        [
            "pipeline.toml:16:1: outputs.host_config: heroku reads its config only from 'Procfile', the root of "
            "the source it deploys (expected 'Procfile' or no host_config)"
        ],
        id="heroku-procfile-elsewhere",
    ),
    pytest.param(
        '[host]\nname = "fly"\napp = "acme"\n\n[outputs]\nrunbook = "fly.toml"\n',
        ["pipeline.toml:16:1: outputs.runbook: 'fly.toml' is also the path of outputs.host_config (expected a distinct path)"],
        id="fly-runbook-over-fly-toml",
    ),
    pytest.param(
        '[host]\nname = "fly"\napp = "acme"\napi_token_secret = "PRODUCTION_DATABASE_URL"\n',
        [
            "pipeline.toml:14:1: host.api_token_secret: must differ from approval.database_url_secret "
            "(both are 'PRODUCTION_DATABASE_URL')"
        ],
        id="fly-token-is-the-database-secret",
    ),
    pytest.param(
        '[host]\nname = "heroku"\napp = "acme"\n\n[deploy]\nhook_secret = "RENDER_DEPLOY_HOOK_URL"\n',
        [
            "pipeline.toml:16:1: deploy.hook_secret: only Render deploys through a deploy hook; heroku reads its "
            "credentials from the secret named in [host] (expected no hook_secret)"
        ],
        id="heroku-with-a-hook-secret",
    ),
]


@pytest.mark.parametrize(("host", "expected"), CASES)
@pytest.mark.parametrize("command", ["generate", "verify", "check-build"])
def test_located_error_and_exit_2(host: str, expected: list[str], command: str, tmp_path: Path, cli) -> None:
    (tmp_path / "pipeline.toml").write_text(HEAD.format(workdir=".") + host, encoding="utf-8")
    (tmp_path / "repo").mkdir()
    args = {
        "generate": ["generate", "-c", "pipeline.toml", "--root", "repo"],
        "verify": ["verify", "-c", "pipeline.toml", "--root", "repo"],
        "check-build": ["check-build", "--config", "pipeline.toml", "--root", "repo"],
    }[command]
    result = cli(args, tmp_path)
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert result.err.splitlines() == expected
    assert list((tmp_path / "repo").iterdir()) == []
