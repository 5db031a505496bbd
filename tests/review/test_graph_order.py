"""migpipe review: ordering conflicts of tools whose order is a graph (Alembic's
down_revision, Django's dependencies), on real git repositories.

Each scenario is also shown to the real tool: the branch is merged into the
base in git, and Alembic's own ScriptDirectory (heads) or Django's own
MigrationLoader (detect_conflicts) reads the merged tree. The review's verdict,
read statically from the files, must be the tool's.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migpipe.review import ReviewReport, review
from migpipe.review.layouts import layout_for
from tests.runtime.gitrepo import commit_files, git, init_repo

VERSIONS = "alembic/versions"
ALEMBIC = layout_for("alembic", ".", VERSIONS)
DJANGO = layout_for("django", ".", ".")


def no_lint(sql, block, warn):  # type: ignore[no-untyped-def]
    """Ordering only: these tests do not exercise the SQL policy."""
    return ()


def _review(repo: Path, layout) -> ReviewReport:  # type: ignore[no-untyped-def]
    return review(repo, "main", layout, [], [], no_lint)


def line_of(text: str, start: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if line.lstrip().startswith(start))


def _merged_tree(repo: Path, tmp_path: Path) -> Path:
    """The tree once the branch merges into main (git merge, as GitHub would), checked out apart."""
    merged = tmp_path / "merged"
    git(repo, "worktree", "add", "-q", "--detach", str(merged), "main")
    git(merged, "merge", "-q", "--no-edit", "feature")
    return merged


# ---- Alembic ------------------------------------------------------------------


def revision(rev: str, down: str | tuple[str, ...] | None, *, annotated: bool = False) -> str:
    """A revision file as `alembic revision` writes it (the annotated form is Alembic ≥ 1.13's template)."""
    if annotated:
        header = (
            "from typing import Sequence, Union\n\n"
            f"revision: str = {rev!r}\n"
            f"down_revision: Union[str, Sequence[str], None] = {down!r}\n"
        )
    else:
        header = f"revision = {rev!r}\ndown_revision = {down!r}\n"
    return (
        f'"""{rev}\n\nRevision ID: {rev}\nRevises: {down}\n"""\n'
        "from alembic import op\n\n" + header + "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n    op.execute('SELECT 1')\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def alembic_heads(tree: Path) -> list[str]:
    """Alembic's own answer, from its ScriptDirectory, in another process."""
    code = (
        "import json, sys\nfrom alembic.script import ScriptDirectory\n"
        "print(json.dumps(sorted(ScriptDirectory(sys.argv[1]).get_heads())))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tree / "alembic")], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


@pytest.fixture
def alembic_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "app")
    commit_files(repo, {f"{VERSIONS}/1a_init.py": revision("1a", None), f"{VERSIONS}/__init__.py": ""}, "init")
    return repo


def test_alembic_a_revision_on_an_older_parent_than_the_base_head_is_a_conflict(alembic_repo: Path, tmp_path: Path) -> None:
    repo = alembic_repo
    git(repo, "branch", "feature")
    commit_files(repo, {f"{VERSIONS}/2b_on_main.py": revision("2b", "1a")}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    mine = revision("3c", "1a", annotated=True)
    commit_files(repo, {f"{VERSIONS}/3c_mine.py": mine}, "mine")

    report = _review(repo, ALEMBIC)
    assert report.failed
    (problem,) = report.problems
    assert problem.kind == "ordering-conflict"
    assert (problem.path, problem.line) == (f"{VERSIONS}/3c_mine.py", line_of(mine, "down_revision"))
    assert "'3c' revises '1a'" in problem.message and "head is '2b'" in problem.message
    assert "2 heads, '3c' and '2b'" in problem.message
    assert "down_revision = '2b'" in problem.fix and "alembic merge" in problem.fix and "2b 3c" in problem.fix
    # Alembic agrees: merged, there are two heads.
    assert alembic_heads(_merged_tree(repo, tmp_path)) == ["2b", "3c"]


def test_alembic_linear_history_is_accepted(alembic_repo: Path, tmp_path: Path) -> None:
    repo = alembic_repo
    commit_files(repo, {f"{VERSIONS}/2b_on_main.py": revision("2b", "1a")}, "main moves on")
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {f"{VERSIONS}/3c_mine.py": revision("3c", "2b"), f"{VERSIONS}/4d_mine.py": revision("4d", "3c")})
    report = _review(repo, ALEMBIC)
    assert report.problems == () and not report.failed
    assert {c.migration for c in report.changes} == {"3c_mine.py", "4d_mine.py"}
    assert alembic_heads(_merged_tree(repo, tmp_path)) == ["4d"]


def test_alembic_a_merge_revision_with_a_tuple_down_revision_is_accepted(alembic_repo: Path, tmp_path: Path) -> None:
    repo = alembic_repo
    git(repo, "branch", "feature")
    commit_files(repo, {f"{VERSIONS}/2b_on_main.py": revision("2b", "1a")}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    commit_files(repo, {f"{VERSIONS}/3c_mine.py": revision("3c", "1a")}, "mine")
    # What the fix says: `alembic merge` writes a revision whose down_revision is a tuple of both heads.
    git(repo, "merge", "-q", "--no-edit", "main")
    commit_files(repo, {f"{VERSIONS}/4m_merge.py": revision("4m", ("2b", "3c"), annotated=True)}, "merge heads")
    report = _review(repo, ALEMBIC)
    assert report.problems == (), report.problems
    assert alembic_heads(_merged_tree(repo, tmp_path)) == ["4m"]


def test_alembic_two_new_revisions_on_the_same_head_are_a_conflict(alembic_repo: Path) -> None:
    repo = alembic_repo
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {f"{VERSIONS}/2x.py": revision("2x", "1a"), f"{VERSIONS}/2y.py": revision("2y", "1a")})
    report = _review(repo, ALEMBIC)
    assert sorted(p.path for p in report.problems) == [f"{VERSIONS}/2x.py", f"{VERSIONS}/2y.py"]
    assert all("chain them" in p.fix and "alembic merge" in p.fix for p in report.problems)


def test_alembic_a_parent_that_does_not_exist_and_a_reused_id_are_conflicts(alembic_repo: Path) -> None:
    repo = alembic_repo
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {f"{VERSIONS}/2z.py": revision("2z", "0gone"), f"{VERSIONS}/1a_again.py": revision("1a", None)})
    messages = sorted(p.message for p in _review(repo, ALEMBIC).problems)
    assert any("revision id '1a'" in m and "1a_init.py" in m for m in messages)
    assert any("revises '0gone', which is neither on the base branch nor in this change" in m for m in messages)


def test_alembic_a_revision_it_cannot_read_statically_is_named(alembic_repo: Path) -> None:
    repo = alembic_repo
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {f"{VERSIONS}/2w.py": "revision = '2w'\ndown_revision = compute()\n"})
    (problem,) = _review(repo, ALEMBIC).problems
    assert problem.kind == "ordering-conflict" and "not a literal" in problem.message


def test_the_command_fails_on_an_alembic_conflict(alembic_repo: Path, tmp_path: Path) -> None:
    repo = alembic_repo
    commit_files(
        repo,
        {"pipeline.toml": 'version = 1\n[project]\nname = "a"\n[tool]\nname = "alembic"\n'
                          '[host]\nname = "render"\nservice_name = "a"\nruntime = "python"\n'},
        "config",
    )
    git(repo, "branch", "feature")
    commit_files(repo, {f"{VERSIONS}/2b_on_main.py": revision("2b", "1a")}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    commit_files(repo, {f"{VERSIONS}/3c_mine.py": revision("3c", "1a")}, "mine")
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        [sys.executable, "-m", "migpipe", "review", "--base", "main", "--format", "github"],
        cwd=repo, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    line = line_of(revision("3c", "1a"), "down_revision")
    assert f"::error file={VERSIONS}/3c_mine.py,line={line},title=ordering-conflict::" in result.stdout
    assert "**ordering-conflict**" in summary.read_text() and "alembic merge" in summary.read_text()


# ---- Django -------------------------------------------------------------------


def migration(*dependencies: tuple[str, str], replaces: tuple[tuple[str, str], ...] = ()) -> str:
    """A migration file as makemigrations writes it."""
    deps = "".join(f"        {dep!r},\n" for dep in dependencies)
    replaced = f"    replaces = {list(replaces)!r}\n\n" if replaces else ""
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n\n"
        f"{replaced}"
        f"    dependencies = [\n{deps}    ]\n\n"
        "    operations = [\n        migrations.RunSQL('SELECT 1', migrations.RunSQL.noop),\n    ]\n"
    )


INITIAL = (
    "from django.db import migrations, models\n\n\n"
    "class Migration(migrations.Migration):\n\n    initial = True\n\n    dependencies = []\n\n"
    "    operations = [\n        migrations.CreateModel('Order', [('id', models.BigAutoField(primary_key=True))]),\n    ]\n"
)
DJANGO_CHECK = textwrap.dedent(
    """\
    import json, sys
    import django
    from django.conf import settings
    settings.configure(INSTALLED_APPS=sys.argv[1].split(","), DATABASES={})
    django.setup()
    from django.db.migrations.loader import MigrationLoader
    loader = MigrationLoader(None, ignore_no_migrations=True)
    print(json.dumps({app: sorted(names) for app, names in loader.detect_conflicts().items()}))
    """
)


def django_conflicts(tree: Path, apps: str = "shop") -> dict[str, list[str]]:
    """Django's own answer, from its MigrationLoader, in another process."""
    out = subprocess.run([sys.executable, "-c", DJANGO_CHECK, apps], cwd=tree, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    return dict(json.loads(out.stdout))


@pytest.fixture
def django_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "app")
    commit_files(repo, {
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": INITIAL,
        "billing/__init__.py": "",
        "billing/migrations/__init__.py": "",
        "billing/migrations/0001_initial.py": migration(("shop", "0001_initial")),
    }, "init")
    return repo


def test_django_a_second_leaf_in_an_app_is_a_conflict(django_repo: Path, tmp_path: Path) -> None:
    repo = django_repo
    git(repo, "branch", "feature")
    commit_files(repo, {"shop/migrations/0002_on_main.py": migration(("shop", "0001_initial"))}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    commit_files(repo, {"shop/migrations/0002_mine.py": migration(("shop", "0001_initial"))}, "mine")

    report = _review(repo, DJANGO)
    assert report.failed
    (problem,) = report.problems
    assert problem.kind == "ordering-conflict"
    assert (problem.path, problem.line) == ("shop/migrations/0002_mine.py", line_of(migration(), "dependencies"))
    assert "app shop" in problem.message
    assert "0002_mine (this change), 0002_on_main (base branch)" in problem.message
    assert "makemigrations --merge shop" in problem.fix and "('shop', '0002_on_main')" in problem.fix
    # Django agrees: merged, the app has two leaves.
    assert django_conflicts(_merged_tree(repo, tmp_path), "shop,billing") == {"shop": ["0002_mine", "0002_on_main"]}


def test_django_linear_history_is_accepted(django_repo: Path, tmp_path: Path) -> None:
    repo = django_repo
    commit_files(repo, {"shop/migrations/0002_on_main.py": migration(("shop", "0001_initial"))}, "main moves on")
    git(repo, "checkout", "-q", "-b", "feature")
    # Depending on another app, and on the swappable user model, changes nothing of shop's order.
    mine = migration(("shop", "0002_on_main"), ("billing", "0001_initial")).replace(
        "    dependencies = [\n", "    dependencies = [\n        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n"
    ).replace("from django.db import", "from django.conf import settings\nfrom django.db import")
    commit_files(repo, {"shop/migrations/0003_mine.py": mine, "billing/migrations/0002_mine.py": migration(("billing", "0001_initial"))})
    report = _review(repo, DJANGO)
    assert report.problems == () and not report.failed
    assert {c.migration for c in report.changes} == {"shop.0003_mine", "billing.0002_mine"}


def test_django_a_merge_migration_with_two_dependencies_is_accepted(django_repo: Path, tmp_path: Path) -> None:
    repo = django_repo
    git(repo, "branch", "feature")
    commit_files(repo, {"shop/migrations/0002_on_main.py": migration(("shop", "0001_initial"))}, "main moves on")
    git(repo, "checkout", "-q", "feature")
    commit_files(repo, {"shop/migrations/0002_mine.py": migration(("shop", "0001_initial"))}, "mine")
    git(repo, "merge", "-q", "--no-edit", "main")
    # What makemigrations --merge writes: a migration depending on both leaves.
    merge = migration(("shop", "0002_mine"), ("shop", "0002_on_main"))
    commit_files(repo, {"shop/migrations/0003_merge_20260101_0000.py": merge}, "merge migrations")
    report = _review(repo, DJANGO)
    assert report.problems == (), report.problems
    assert django_conflicts(_merged_tree(repo, tmp_path), "shop,billing") == {}


def test_django_a_squashed_migration_stands_in_for_what_it_replaces(django_repo: Path, tmp_path: Path) -> None:
    repo = django_repo
    commit_files(repo, {
        "shop/migrations/0002_a.py": migration(("shop", "0001_initial")),
        "shop/migrations/0003_b.py": migration(("shop", "0002_a")),
        "shop/migrations/0001_squashed_0003_b.py": migration(
            replaces=(("shop", "0001_initial"), ("shop", "0002_a"), ("shop", "0003_b"))
        ),
    }, "squash")
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"shop/migrations/0004_mine.py": migration(("shop", "0003_b"))})
    assert _review(repo, DJANGO).problems == ()
    assert django_conflicts(_merged_tree(repo, tmp_path), "shop,billing") == {}


def test_django_a_dependency_that_does_not_exist_is_named(django_repo: Path) -> None:
    repo = django_repo
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"shop/migrations/0002_mine.py": migration(("shop", "0001_initial"), ("billing", "0005_gone"))})
    (problem,) = _review(repo, DJANGO).problems
    assert "('billing', '0005_gone'), which is neither on the base branch nor in this change" in problem.message
    assert "0001_initial" in problem.fix


def test_git_reads_every_file_of_the_base_in_one_go(django_repo: Path) -> None:
    # files_at reads many files through one `git cat-file --batch`, sizes and all.
    from migpipe.review import files_at

    big = "x" * 70000 + "\n"
    commit_files(django_repo, {"shop/migrations/0002_big.py": big})
    files = files_at(django_repo, "main", ["shop/migrations/0001_initial.py", "no/such.py", "shop/migrations/0002_big.py"])
    assert [(f.path, len(f.text)) for f in files] == [("shop/migrations/0001_initial.py", len(INITIAL)), ("shop/migrations/0002_big.py", len(big))]


def test_django_an_app_label_set_in_apps_py_is_the_apps_name_in_dependencies(tmp_path: Path) -> None:
    # Folder "users", label "accounts": its migrations depend on ("accounts", …).
    repo = init_repo(tmp_path / "app")
    apps = "from django.apps import AppConfig\n\n\nclass UsersConfig(AppConfig):\n    name = 'users'\n    label = 'accounts'\n"
    commit_files(repo, {
        "users/__init__.py": "", "users/apps.py": apps, "users/migrations/__init__.py": "",
        "users/migrations/0001_initial.py": INITIAL,
        "users/migrations/0002_a.py": migration(("accounts", "0001_initial")),
    }, "init")
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"users/migrations/0003_b.py": migration(("accounts", "0002_a"))})
    report = _review(repo, DJANGO)
    assert report.problems == (), report.problems
    assert django_conflicts(_merged_tree(repo, tmp_path), "users.apps.UsersConfig") == {}


def test_django_another_apps_dependency_of_the_same_name_hides_no_conflict(tmp_path: Path) -> None:
    # ("auth", "0001_initial") is Django's auth app, not shop's 0001_initial: shop gets a second leaf.
    repo = init_repo(tmp_path / "app")
    commit_files(repo, {"shop/__init__.py": "", "shop/migrations/__init__.py": "", "shop/migrations/0001_initial.py": INITIAL})
    git(repo, "checkout", "-q", "-b", "feature")
    commit_files(repo, {"shop/migrations/0001_orders.py": migration(("auth", "0001_initial"))})
    (problem,) = _review(repo, DJANGO).problems
    assert "0001_orders (this change), 0001_initial (base branch)" in problem.message
    apps = "django.contrib.auth,django.contrib.contenttypes,shop"
    assert django_conflicts(_merged_tree(repo, tmp_path), apps) == {"shop": ["0001_initial", "0001_orders"]}
