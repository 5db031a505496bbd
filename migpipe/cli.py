"""The command line: one argparse parser, one module per verb, errors mapped here.

Each subcommand calls ``migpipe.commands.<verb>.run(...)``, which returns the
exit code; only the chosen command's module is imported (verify and lint run
hundreds of times a day from pre-commit and CI). This is the only place that
catches FatalError: a problem the user must fix is printed as one message (or
one located line per problem in pipeline.toml) with its exit code, never a
traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, NoReturn

from migpipe import __version__
from migpipe.errors import EXIT_USAGE, ConfigError, FatalError, UsageError

DEFAULT_CONFIG = "pipeline.toml"
DEFAULT_ROOT = "."
CONFIG_HELP = "The policy file (default: pipeline.toml in --root)."
ROOT_HELP = "Repository root that output paths are relative to (default: .)."
DESCRIPTION = (
    "Compile pipeline.toml into the CI workflow, guard scripts, host config and runbook "
    "that keep migrations from running by accident."
)

Handler = Callable[[argparse.Namespace], int]


def _command(verb: str) -> Any:
    """The module of one verb, imported only when that verb runs."""
    return import_module(f"migpipe.commands.{verb}")


def _init(args: argparse.Namespace) -> int:
    return int(_command("init").run(args.root, force=args.force, host=args.host, tool=args.tool))


def _generate(args: argparse.Namespace) -> int:
    return int(_command("generate").run(args.config, args.root, force=args.force))


def _verify(args: argparse.Namespace) -> int:
    return int(_command("verify").run(args.config, args.root, args.output_format))


def _schema(args: argparse.Namespace) -> int:
    return int(_command("schema").run())


def _migrate(args: argparse.Namespace) -> int:
    return int(
        _command("migrate").run(
            args.config,
            args.root,
            plan_only=args.plan_only,
            plan_file=args.plan_file,
            expect_digest=args.expect_digest,
            server_major=args.server_major,
        )
    )


def _check_build(args: argparse.Namespace) -> int:
    return int(_command("check_build").run(args.files, args.root, args.config, args.output_format, args.strict))


def _lint(args: argparse.Namespace) -> int:
    return int(_command("lint").run(args.files, args.output_format, args.block, args.warn, args.config))


def _deploy(args: argparse.Namespace) -> int:
    return int(_command("deploy").run(args.config, args.root, args.sha))


def _host_cli(args: argparse.Namespace) -> int:
    return int(_command("host_cli").run(args.config, args.directory))


def _approval_check(args: argparse.Namespace) -> int:
    return int(_command("approval_check").run(args.config, warn_only=args.warn_only))


def _review(args: argparse.Namespace) -> int:
    return int(_command("review").run(args.config, args.base, args.root, args.output_format, args.schema_drift))


def _plan_report(args: argparse.Namespace) -> int:
    return int(_command("plan_report").run(args.plan_file, args.note))


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors raised (exit 2 through main) instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: error: {message}")


def _config_option(parser: argparse.ArgumentParser, default: str | None = DEFAULT_CONFIG, help: str = CONFIG_HELP) -> None:
    if default == DEFAULT_CONFIG:
        # Resolved in main: pipeline.toml in --root, so `generate --root X` reads X's own policy.
        parser.set_defaults(config_in_root=True)
        default = None
    parser.add_argument("-c", "--config", default=default, metavar="FILE", help=help)


def _lint_epilog() -> str:
    from migpipe.policy import KINDS

    kinds = "\n".join(f"  {name:<30} {kind.default or 'off':<6} {kind.summary}" for name, kind in KINDS.items())
    return (
        f"kinds (name, default action, what it catches):\n{kinds}\n\n"
        "Exempt a statement on the line above: -- squawk-ignore RULE -- REASON, or -- migpipe-ignore KIND -- REASON."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="migpipe", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"migpipe {__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def verb(name: str, handler: Handler, summary: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=summary, description=summary)
        sub.set_defaults(handler=handler)
        return sub

    init = verb("init", _init, "Write a pipeline.toml from the repository's package.json, host config and workflows.")
    init.add_argument("--root", default=DEFAULT_ROOT, help="Repository root to read and to write pipeline.toml in.")
    init.add_argument("--force", action="store_true", help="Replace an existing pipeline.toml.")
    init.add_argument(
        "--host",
        default=None,
        help="The host to generate for when the repository has several host configs or none (init names those it supports).",
    )
    init.add_argument(
        "--tool",
        default=None,
        metavar="NAME[:DIRECTORY]",
        help="The migration tool to govern when the repository has several (e.g. prisma, or prisma:packages/db "
        "when it is in several packages); the others are reported and left alone.",
    )

    generate = verb("generate", _generate, "Write the generated files that differ from what pipeline.toml compiles to.")
    _config_option(generate)
    generate.add_argument("--root", default=DEFAULT_ROOT, help=ROOT_HELP)
    generate.add_argument("--force", action="store_true", help="Replace existing files that migpipe did not generate.")

    verify = verb("verify", _verify, "Exit 1 if any generated file is missing, hand-edited or stale. Never writes.")
    _config_option(verify)
    verify.add_argument("--root", default=DEFAULT_ROOT, help=ROOT_HELP)
    verify.add_argument("--format", dest="output_format", default="text", help="text, github (annotations) or json.")

    verb("schema", _schema, "Print the JSON Schema of pipeline.toml.")

    migrate = verb(
        "migrate",
        _migrate,
        "Apply pending migrations to the database in the URL variable, with guards (exit 0/2/3/4/5).",
    )
    _config_option(migrate)
    migrate.add_argument("--root", default=DEFAULT_ROOT, help="Repository root (the working directory is relative to it).")
    migrate.add_argument(
        "--plan-only", action="store_true", help="Read-only: print the pending set, its SQL, the lint and the plan digest."
    )
    migrate.add_argument("--plan-file", default=None, help="With --plan-only: write the plan as JSON here.")
    migrate.add_argument(
        "--expect-digest", default=None, help="Apply only if the pending set's digest is this one (else exit 3)."
    )
    migrate.add_argument(
        "--server-major",
        action="store_true",
        help="Only print the database server's major version (to install the matching pg_dump).",
    )

    check_build = verb("check-build", _check_build, "Exit 1 if anything the host runs on its own reaches a database migration.")
    check_build.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="Files the host runs (package.json, Procfile, fly.toml, render.yaml, Dockerfile, shell script, ...). "
        "Default: the entry points in pipeline.toml.",
    )
    check_build.add_argument("--root", default=DEFAULT_ROOT, help="Repository root: scripts are looked up here, and only here.")
    _config_option(check_build, None, "The policy file (default pipeline.toml when no FILE is given).")
    check_build.add_argument("--format", dest="output_format", default="text", help="text, github (annotations) or json.")
    check_build.add_argument(
        "--strict", action="store_true", help="Also fail (exit 1) when a reference could not be followed."
    )

    lint = verbs.add_parser(
        "lint",
        help="Lint SQL files against the migration policy.",
        description="Lint SQL files against the migration policy: exit 0 clean or warnings only, 1 blocked, 2 usage.",
        epilog=_lint_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.set_defaults(handler=_lint)
    lint.add_argument("files", nargs="+", metavar="FILE", help="SQL files to lint.")
    lint.add_argument("--format", dest="output_format", default="text", choices=("text", "json", "github"))
    lint.add_argument("--block", action="append", default=[], metavar="KIND,...", help="Kinds that block (moved from warn).")
    lint.add_argument("--warn", action="append", default=[], metavar="KIND,...", help="Kinds that only warn (moved from block).")
    _config_option(lint, None, "Take block/warn from this pipeline.toml (default: the defaults below).")

    deploy = verb("deploy", _deploy, "Deploy exactly one commit through the host's API and wait until it is live.")
    _config_option(deploy)
    deploy.add_argument("--root", default=DEFAULT_ROOT, help="The git checkout to deploy from.")
    deploy.add_argument("--sha", default=None, help="The commit to deploy (default $GITHUB_SHA).")

    host_cli = verb(
        "host-cli",
        _host_cli,
        "Write the host CLI's locked npm manifest (package.json, package-lock.json) into DIR, for npm ci --prefix DIR.",
    )
    _config_option(host_cli)
    host_cli.add_argument("directory", metavar="DIR", help="Where to write them (created if missing).")

    approval = verb(
        "approval-check",
        _approval_check,
        "Fail closed when migrate-prod's approval gate does not exist; report older runs waiting for approval.",
    )
    _config_option(approval)
    approval.add_argument("--warn-only", action="store_true", help="Report a missing gate as a warning (the plan job).")

    review = verb(
        "review",
        _review,
        "Lint the migrations a pull request adds or changes; fail on edited history or out-of-order migrations.",
    )
    _config_option(review)
    review.add_argument("--base", required=True, help="The base revision the change merges into (a SHA or origin/main).")
    review.add_argument("--root", default=DEFAULT_ROOT, help="The git checkout of the change.")
    review.add_argument("--format", dest="output_format", default="text", choices=("text", "github"), help="text, or github (adds annotations).")
    review.add_argument(
        "--schema-drift",
        action="store_true",
        help="Also ask the tool whether the schema needs a migration the change lacks, where only migpipe can "
        "(drizzle-kit: generate, then remove what it wrote). Needs the tool installed.",
    )

    plan_report = verb(
        "plan-report",
        _plan_report,
        "Publish a migration plan: job summary (SQL, findings, digest) and job outputs (digest, migrations).",
    )
    plan_report.add_argument("plan_file", metavar="PLAN", help="The JSON plan `migpipe migrate --plan-only --plan-file` wrote.")
    plan_report.add_argument("--note", default="", help="A line for the reviewer (how this plan gets approved).")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
        if getattr(args, "config_in_root", False) and args.config is None:
            args.config = os.path.normpath(os.path.join(getattr(args, "root", DEFAULT_ROOT), DEFAULT_CONFIG))
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return handler(args)
    except SystemExit as exc:
        # --help and --version print and exit 0.
        return exc.code if isinstance(exc.code, int) else 0
    except FatalError as exc:
        # Config problems are already "FILE:LINE:COL: key: message" lines, one
        # per problem, the form editors and CI annotations understand.
        if isinstance(exc, ConfigError):
            print("\n".join(exc.problems), file=sys.stderr)
        elif isinstance(exc, UsageError):
            print(exc, file=sys.stderr)
        else:
            print(f"migpipe: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("migpipe: aborted", file=sys.stderr)
        return 130
