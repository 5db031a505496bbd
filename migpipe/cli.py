"""The command line: parses options, calls one command module, maps errors.

This is the only place that catches FatalError: every command raises it for
a problem the user must fix, and gets a one-line message and exit code 2
instead of a traceback.

typer is imported only when the typer app is built: `migpipe verify` runs
hundreds of times a day (pre-commit, CI), and importing typer and its bundled
click is a third of its time. A plain ``verify`` command line (only the
options below, each once) is therefore parsed here without typer; anything
else (--help, a typo, an unknown option) goes through typer, which says what
is wrong. tests/commands/test_verify_formats.py checks both parse alike.
"""
from __future__ import annotations

import sys
from typing import List, Optional

from migpipe.errors import EXIT_USAGE, ConfigError, FatalError

CONFIG_HELP = "The policy file."
ROOT_HELP = "Repository root that output paths are relative to."
DEFAULT_CONFIG = "pipeline.toml"
DEFAULT_ROOT = "."
DEFAULT_FORMAT = "text"
VERIFY_OPTIONS = {"-c": "config", "--config": "config", "--root": "root", "--format": "output_format"}


def build_app():
    """The typer app with every command."""
    import typer

    from migpipe import __version__

    app = typer.Typer(
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        help="Compile pipeline.toml into the CI workflow, guard scripts, host config and runbook that keep migrations from running by accident.",
    )

    def _version(value: bool) -> None:
        if value:
            print(f"migpipe {__version__}")
            raise typer.Exit(0)

    @app.callback()
    def _main(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ) -> None:
        """migpipe: database migrations that never run by accident."""

    @app.command()
    def init(
        root: str = typer.Option(DEFAULT_ROOT, "--root", help="Repository root to read and to write pipeline.toml in."),
        force: bool = typer.Option(False, "--force", help="Replace an existing pipeline.toml."),
        host: Optional[str] = typer.Option(None, "--host", help="The host to generate for when the repository has no host config (render, fly, heroku)."),
    ) -> None:
        """Write a pipeline.toml from the repository's package.json, render.yaml and workflows."""
        from migpipe.commands import init as command

        raise typer.Exit(command.run(root, force=force, host=host))

    @app.command()
    def generate(
        config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help=CONFIG_HELP),
        root: str = typer.Option(DEFAULT_ROOT, "--root", help=ROOT_HELP),
        force: bool = typer.Option(False, "--force", help="Replace existing files that migpipe did not generate."),
    ) -> None:
        """Write the generated files that differ from what pipeline.toml compiles to."""
        from migpipe.commands import generate as command

        raise typer.Exit(command.run(config, root, force=force))

    @app.command()
    def verify(
        config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help=CONFIG_HELP),
        root: str = typer.Option(DEFAULT_ROOT, "--root", help=ROOT_HELP),
        output_format: str = typer.Option(DEFAULT_FORMAT, "--format", help="text, github (annotations) or json."),
    ) -> None:
        """Exit 1 if any generated file is missing, hand-edited or stale. Never writes."""
        from migpipe.commands import verify as command

        raise typer.Exit(command.run(config, root, output_format))

    @app.command()
    def schema() -> None:
        """Print the JSON Schema of pipeline.toml."""
        from migpipe.commands import schema as command

        raise typer.Exit(command.run())

    @app.command()
    def migrate(
        config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help=CONFIG_HELP),
        root: str = typer.Option(DEFAULT_ROOT, "--root", help="Repository root (the working directory is relative to it)."),
        plan_only: bool = typer.Option(False, "--plan-only", help="Read-only: print the pending set, its SQL, the lint and the plan digest."),
        plan_file: Optional[str] = typer.Option(None, "--plan-file", help="With --plan-only: write the plan as JSON here."),
        expect_digest: Optional[str] = typer.Option(None, "--expect-digest", help="Apply only if the pending set's digest is this one (else exit 3)."),
        server_major: bool = typer.Option(False, "--server-major", help="Only print the database server's major version (to install the matching pg_dump)."),
    ) -> None:
        """Apply pending migrations to the database in the URL variable, with guards (exit 0/2/3/4/5)."""
        from migpipe.commands import migrate as command

        raise typer.Exit(command.run(config, root, plan_only=plan_only, plan_file=plan_file,
                                     expect_digest=expect_digest, server_major=server_major))

    @app.command("check-build")
    def check_build(
        files: Optional[List[str]] = typer.Argument(None, help="Files the host runs (package.json, Procfile, fly.toml, render.yaml, Dockerfile, shell script, ...). Default: the entry points in pipeline.toml."),
        root: str = typer.Option(".", "--root", help="Repository root: scripts are looked up here, and only here."),
        config: Optional[str] = typer.Option(None, "--config", "-c", help="The policy file (default pipeline.toml when no FILE is given)."),
        output_format: str = typer.Option("text", "--format", help="text or json."),
        strict: bool = typer.Option(False, "--strict", help="Also fail (exit 1) when a reference could not be followed."),
    ) -> None:
        """Exit 1 if anything a host runs on its own reaches a database migration."""
        from migpipe.commands import check_build as command

        raise typer.Exit(command.run(files or [], root, config, output_format, strict))

    @app.command()
    def deploy(
        config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help=CONFIG_HELP),
        root: str = typer.Option(DEFAULT_ROOT, "--root", help="The git checkout to deploy from."),
        sha: Optional[str] = typer.Option(None, "--sha", help="The commit to deploy (default $GITHUB_SHA)."),
    ) -> None:
        """Deploy exactly one commit through the host's API and wait until it is live."""
        from migpipe.commands import deploy as command

        raise typer.Exit(command.run(config, root, sha))

    @app.command("approval-check")
    def approval_check(
        config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help=CONFIG_HELP),
        warn_only: bool = typer.Option(False, "--warn-only", help="Report a missing gate as a warning (the plan job)."),
    ) -> None:
        """Fail closed when migrate-prod's approval gate does not exist; report older runs waiting for approval."""
        from migpipe.commands import approval_check as command

        raise typer.Exit(command.run(config, warn_only=warn_only))

    @app.command("lint", context_settings={"help_option_names": ["-h", "--help"]})
    def lint(
        files: List[str] = typer.Argument(..., help="SQL files to lint."),
        output_format: str = typer.Option("text", "--format", help="text, json or github (annotations)."),
        block: List[str] = typer.Option([], "--block", help="Kinds that block (comma-separated; moved from warn)."),
        warn: List[str] = typer.Option([], "--warn", help="Kinds that only warn (comma-separated; moved from block)."),
        config: Optional[str] = typer.Option(None, "--config", "-c", help="Take block/warn from this pipeline.toml."),
    ) -> None:
        """Lint SQL files against the migration policy: exit 0 clean or warnings, 1 blocked, 2 usage."""
        from migpipe.commands import lint as command

        raise typer.Exit(command.run(files, output_format, block, warn, config))

    return app


def lint_parser() -> "argparse.ArgumentParser":
    """`migpipe lint`, parsed with argparse: typer's import would be most of lint's time."""
    import argparse

    from migpipe.policy import KINDS

    kinds = "\n".join(f"  {name:<30} {kind.default or 'off':<6} {kind.summary}" for name, kind in KINDS.items())
    parser = argparse.ArgumentParser(
        prog="migpipe lint",
        description="Lint SQL files against the migration policy: exit 0 clean or warnings only, 1 blocked, 2 usage.",
        epilog=f"kinds (name, default action, what it catches):\n{kinds}\n\n"
        "Exempt a statement on the line above: -- squawk-ignore RULE -- REASON, or -- migpipe-ignore KIND -- REASON.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="SQL files to lint.")
    parser.add_argument("--format", dest="output_format", default="text", choices=("text", "json", "github"))
    parser.add_argument("--block", action="append", default=[], metavar="KIND,...", help="Kinds that block (moved from warn).")
    parser.add_argument("--warn", action="append", default=[], metavar="KIND,...", help="Kinds that only warn (moved from block).")
    parser.add_argument("-c", "--config", default=None, help="Take block/warn from this pipeline.toml (default: the defaults below).")
    return parser


def _run_lint(argv: List[str]) -> int:
    try:
        args = lint_parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage error or the help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    from migpipe.commands import lint as command

    return command.run(args.files, args.output_format, args.block, args.warn, args.config)


def plain_verify_args(argv: List[str]) -> Optional[dict[str, str]]:
    """The options of a plain ``verify`` command line, or None for typer to parse."""
    if not argv or argv[0] != "verify":
        return None
    options = {"config": DEFAULT_CONFIG, "root": DEFAULT_ROOT, "output_format": DEFAULT_FORMAT}
    seen = set()
    rest = argv[1:]
    index = 0
    while index < len(rest):
        name, equals, value = rest[index].partition("=")
        if not equals:
            if index + 1 >= len(rest):
                return None
            value = rest[index + 1]
            index += 1
        index += 1
        key = VERIFY_OPTIONS.get(name)
        if key is None or key in seen or (name == "-c" and equals) or not value or value.startswith("-"):
            return None
        seen.add(key)
        options[key] = value
    return options


def _run_typer(argv: List[str]) -> int:
    import typer

    try:
        # Without standalone mode, click returns the code of a typer.Exit.
        code = build_app()(args=argv, prog_name="migpipe", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        raise KeyboardInterrupt from None
    except FatalError:
        raise
    except Exception as exc:
        # Usage errors from typer's bundled click: print its message, exit 2.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return EXIT_USAGE
        raise
    return code if isinstance(code, int) else 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["lint"]:
            return _run_lint(argv[1:])
        plain = plain_verify_args(argv)
        if plain is not None:
            from migpipe.commands import verify as command

            return command.run(plain["config"], plain["root"], plain["output_format"])
        return _run_typer(argv)
    except FatalError as exc:
        # Config problems are already "FILE:LINE:COL: key: message" lines, one
        # per problem, the form editors and CI annotations understand.
        if isinstance(exc, ConfigError):
            print("\n".join(exc.problems), file=sys.stderr)
        else:
            print(f"migpipe: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("migpipe: aborted", file=sys.stderr)
        return 130
