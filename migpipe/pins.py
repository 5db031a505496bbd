"""Every third-party action the generated workflow uses, pinned in one place.

A tag can be moved; a commit SHA cannot. Each pin records the SHA and the
release it belongs to, and the workflow shows both (``uses: …@SHA # v7.0.1``).

To update a pin: look up the release's commit, e.g.
``gh api repos/actions/checkout/commits/v7.0.1 --jq .sha``, change the SHA and
version here, run the tests (the golden files change), and review the
release notes before committing.
"""
from __future__ import annotations

# name -> (commit SHA, release)
ACTIONS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-node": ("820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    # For tools CI builds from source (golang-migrate's CLI).
    "actions/setup-go": ("d35c59abb061a4a6fb18e82ac0862c26744d6ab5", "v5.5.0"),
    # The repository's tags have no "v" (1.5, not v1.5).
    "superfly/flyctl-actions/setup-flyctl": ("fc53c09e1bc3be6f54706524e3b82c4f462f77be", "1.5"),
}


def action_ref(name: str) -> str:
    sha, release = ACTIONS[name]
    return f"{name}@{sha} # {release}"
