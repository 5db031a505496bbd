"""Read a TOML file into a validated model, or fail with located errors.

Every problem is reported as ``FILE:LINE:COL: key.path: what is wrong
(what was expected)``, all of them at once, so the user fixes the file in
one pass. By concern: ``reading`` (the file and its TOML), ``locating``
(where a key is written), ``messages`` (pydantic's errors in the user's words).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from migpipe.config.loader.locating import KeyLocator
from migpipe.config.loader.messages import MAX_PROBLEMS, describe
from migpipe.config.loader.reading import parse_toml, read_config_text
from migpipe.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound="BaseModel")

__all__ = ["KeyLocator", "load_model", "parse_toml", "read_config_text"]


def load_model(model: type[ModelT], path: str | os.PathLike[str], display: str | None = None) -> ModelT:
    """Load a TOML file and validate it as ``model``. Raises ConfigError with every problem.

    ``display`` names the file in messages; by default it is ``path`` exactly
    as the user typed it.
    """
    from pydantic import ValidationError

    display = display or os.fspath(path)
    text = read_config_text(Path(path), display)
    data = parse_toml(text, display)
    try:
        # Strict: TOML has real types, so "20" for an integer or "yes" for a
        # boolean is a mistake to report, not a value to coerce.
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        locator = KeyLocator(text)
        problems: list[tuple[tuple[int, int], str]] = []
        for err in exc.errors():
            problems.extend(describe(model, err, locator, display))
        ordered = [message for _, message in sorted(set(problems))]
        if len(ordered) > MAX_PROBLEMS:
            hidden = len(ordered) - MAX_PROBLEMS
            ordered = ordered[:MAX_PROBLEMS] + [
                f"{display}: {hidden} more problems not shown (fix the ones above first)"
            ]
        raise ConfigError(ordered) from None

