"""Every third-party action the generated workflow uses, pinned in one place.

A tag can be moved; a commit SHA cannot. Each pin records the SHA and the
release it belongs to, and the workflow shows both (``uses: …@SHA # v5.0.0``).

To update a pin: look up the release's commit, e.g.
``gh api repos/actions/checkout/commits/v5.0.0 --jq .sha``, change the SHA and
version here, run the tests (the golden files change), and review the
release notes before committing.
"""
from __future__ import annotations

# name -> (commit SHA, release)
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-node": ("a0853c24544627f65ddf259abe73b1d18a591444", "v5.0.0"),
    "actions/setup-python": ("e797f83bcb11b83ae66e0230d6156d7c80228e7c", "v6.0.0"),
}


def action_ref(name: str) -> str:
    sha, release = ACTIONS[name]
    return f"{name}@{sha} # {release}"
