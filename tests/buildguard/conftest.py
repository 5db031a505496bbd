from __future__ import annotations

from pathlib import Path

# The shared corpus sits beside the repository (../shared), in CI as here.
REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT / ".." / "shared" / "corpus" / "build-configs"
EXAMPLES = Path(__file__).resolve().parent / "examples"
