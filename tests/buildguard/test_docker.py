"""A Dockerfile as an image: each path inside it traced back to the repository file it came from."""
from __future__ import annotations

from pathlib import Path

import pytest

from migpipe.buildguard.docker import Image, best_context, instructions


def _image(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> Image:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    return Image(path, dockerfile, tmp_path)


def _resolve(image: Image, path: str) -> str | None:
    assert image.final is not None
    found = image.resolve(image.final, path)
    return None if found is None else found.relative_to(image.context).as_posix()


@pytest.mark.parametrize(
    ("dockerfile", "path", "source"),
    [
        ("FROM node\nCOPY scripts/start.sh /usr/local/bin/start.sh\n", "/usr/local/bin/start.sh", "scripts/start.sh"),
        ("FROM node\nWORKDIR /app\nCOPY scripts/start.sh .\n", "/app/start.sh", "scripts/start.sh"),
        ("FROM node\nWORKDIR /app\nCOPY scripts ./bin\n", "/app/bin/start.sh", "scripts/start.sh"),
        ("FROM node\nWORKDIR /app\nCOPY . .\n", "/app/scripts/start.sh", "scripts/start.sh"),
        ("FROM node\nCOPY --chown=app:app scripts/*.sh /opt/\n", "/opt/start.sh", "scripts/start.sh"),
        ("FROM node\nWORKDIR /srv\nWORKDIR app\nCOPY . .\n", "/srv/app/scripts/start.sh", "scripts/start.sh"),
        # From an earlier stage, through a cp in that stage.
        (
            ("FROM node AS build\nWORKDIR /src\nCOPY . .\nRUN cp -r /src/scripts /out\n"
            "FROM node\nCOPY --from=build /out /app/bin\n"),
            "/app/bin/start.sh",
            "scripts/start.sh",
        ),
        # A stage based on another keeps its files.
        ("FROM node AS base\nCOPY . /app\nFROM base\nWORKDIR /app\n", "/app/scripts/start.sh", "scripts/start.sh"),
        # pnpm deploy copies a workspace package; turbo prune the pruned workspace.
        (
            ("FROM node AS build\nWORKDIR /w\nCOPY . .\nRUN pnpm --filter=./apps/api --prod deploy /prod/api\n"
            "FROM node\nCOPY --from=build /prod/api /app\n"),
            "/app/package.json",
            "apps/api/package.json",
        ),
        # ENV and ARG values in paths (mealie: COPY ./docker/entry.sh $MEALIE_HOME/run.sh; wger: COPY ${DOCKER_DIR}/…).
        ('FROM node\nENV HOME_DIR="/app" PORT=80\nCOPY scripts/start.sh $HOME_DIR/run.sh\n', "/app/run.sh", "scripts/start.sh"),
        ("FROM node\nARG DIR=./scripts\nENV APP /srv\nWORKDIR ${APP}\nCOPY ${DIR}/start.sh ${BIN:-bin}/\n", "/srv/bin/start.sh", "scripts/start.sh"),
        ("FROM node AS base\nENV APP=/opt/app\nFROM base\nCOPY scripts $APP/scripts\n", "/opt/app/scripts/start.sh", "scripts/start.sh"),
        (
            ("FROM node AS prune\nWORKDIR /app\nCOPY . .\nRUN turbo prune web --docker\n"
            "FROM node\nWORKDIR /app\nCOPY --from=prune /app/out/full/ .\n"),
            "/app/scripts/start.sh",
            "scripts/start.sh",
        ),
    ],
)
def test_path_in_image_comes_from(tmp_path: Path, dockerfile: str, path: str, source: str) -> None:
    files = {"scripts/start.sh": "#!/bin/sh\n", "apps/api/package.json": "{}"}
    assert _resolve(_image(tmp_path, dockerfile, files), path) == source


def test_a_path_nothing_copied_is_unknown(tmp_path: Path) -> None:
    image = _image(tmp_path, "FROM node\nCOPY package.json /app/\n", {"package.json": "{}"})
    assert _resolve(image, "/app/start.sh") is None


def test_go_binary_maps_to_its_sources(tmp_path: Path) -> None:
    dockerfile = (
        "FROM golang AS builder\nWORKDIR /src\nCOPY . .\nRUN go build -o /bin/api ./cmd/api\n"
        "FROM alpine\nCOPY --from=builder /bin/api /usr/local/bin/\n"
    )
    image = _image(tmp_path, dockerfile, {"cmd/api/main.go": "package main\n", "cmd/api/main_test.go": "package main\n"})
    assert image.final is not None
    sources = image.built_sources(image.final, "/usr/local/bin/api")
    assert [p.relative_to(tmp_path).as_posix() for p in sources] == ["cmd/api/main.go"]


def test_heredoc_run_and_continuations() -> None:
    text = "FROM node\nRUN npm ci \\\n  # a comment\n  && npm run build\nRUN <<EOF\nset -e\nnpx prisma migrate deploy\nEOF\nCMD [\"node\", \"server.js\"]\n"
    assert [(i.line, i.name, " ".join(i.arguments.split(" "))) for i in instructions(text)] == [
        (1, "FROM", "node"),
        (2, "RUN", "npm ci    && npm run build"),
        (5, "RUN", "set -e\nnpx prisma migrate deploy"),
        (9, "CMD", '["node", "server.js"]'),
    ]


def test_build_context_is_where_the_copied_files_are(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "start.sh").write_text("")
    text = "FROM node\nCOPY scripts/start.sh /start.sh\n"
    (tmp_path / "docker" / "Dockerfile").write_text(text)
    assert best_context(tmp_path / "docker" / "Dockerfile", tmp_path, text) == tmp_path
