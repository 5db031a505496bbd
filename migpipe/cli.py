"""The command line: parses options, calls one command module, maps errors.

This is the only place that catches FatalError: every command raises it for
a problem the user must fix, and gets a one-line message and exit code 2
instead of a traceback.
"""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from migpipe import __version__
from migpipe.errors import EXIT_USAGE, FatalError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Compile pipeline.toml into the CI workflow, guard scripts, host config and runbook that keep migrations from running by accident.",
)

CONFIG_HELP = "The policy file."
ROOT_HELP = "Repository root that output paths are relative to."


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
def generate(
    config: str = typer.Option("pipeline.toml", "--config", "-c", help=CONFIG_HELP),
    root: str = typer.Option(".", "--root", help=ROOT_HELP),
    force: bool = typer.Option(False, "--force", help="Replace existing files that migpipe did not generate."),
) -> None:
    """Write the generated files that differ from what pipeline.toml compiles to."""
    from migpipe.commands import generate as command

    raise typer.Exit(command.run(config, root, force=force))


@app.command()
def verify(
    config: str = typer.Option("pipeline.toml", "--config", "-c", help=CONFIG_HELP),
    root: str = typer.Option(".", "--root", help=ROOT_HELP),
) -> None:
    """Exit 1 if any generated file is missing, hand-edited or stale. Never writes."""
    from migpipe.commands import verify as command

    raise typer.Exit(command.run(config, root))


@app.command()
def schema() -> None:
    """Print the JSON Schema of pipeline.toml."""
    from migpipe.commands import schema as command

    raise typer.Exit(command.run())


def main(argv: Optional[List[str]] = None) -> int:
    try:
        # Without standalone mode, click returns the code of a typer.Exit.
        code = app(args=argv, prog_name="migpipe", standalone_mode=False)
    except FatalError as exc:
        print(f"migpipe: error: {exc}" if "\n" not in exc.message else exc.message, file=sys.stderr)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("migpipe: aborted", file=sys.stderr)
        return 130
    except Exception as exc:
        # Usage errors from typer's bundled click: print its message, exit 2.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return EXIT_USAGE
        raise
    return code if isinstance(code, int) else 0
