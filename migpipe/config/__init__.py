"""pipeline.toml: the model (what a policy may say) and the loader (located errors)."""
from __future__ import annotations

from migpipe.config.loader import load_pipeline

__all__ = ["load_pipeline"]
