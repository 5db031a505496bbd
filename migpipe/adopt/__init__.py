"""Adopting an existing repository: read what it already has into a pipeline.toml.

``detect_repo`` reads package.json, lock files, Prisma's files, render.yaml and
the GitHub workflows, and returns an ``Adoption``: the values a pipeline.toml
should hold (the team's own commands, jobs and deploy steps, minus any
migration the host would run on its own) and one line per thing it detected,
could not detect, removed or could not carry over. ``render_pipeline_toml``
writes it as commented TOML. Nothing here writes files or prints.
"""
from __future__ import annotations

from migpipe.adopt.detect import Adoption, detect_repo
from migpipe.adopt.toml_text import render_pipeline_toml

__all__ = ["Adoption", "detect_repo", "render_pipeline_toml"]
