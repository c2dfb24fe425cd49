"""The `keskinube` command: one sub-command per module listed in COMMAND_MODULES.

Each module defines `register(subparsers)`, which adds its parser and sets `handler`,
a function taking the parsed arguments and returning an exit status. Handlers import
heavy dependencies lazily so that `keskinube --help` stays instant. Lines for people are
in the CLI's language (`cli.language`); help texts and `--json` stay English.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from backend.errors import KeskinubeError
from cli.language import cli_translator

COMMAND_MODULES: tuple[str, ...] = (
    "cli.demo_db",
    "cli.engine_cmds",
    "cli.users",
    "cli.tokens",
    "cli.eval_cmd",
    "cli.knowledge_cmd",
    "cli.drift_cmd",
    "cli.sources_cmd",
    "cli.serve_cmd",
    "cli.api_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keskinube", description="Ask your database questions in plain language."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.handler(args) or 0)
    except KeskinubeError as exc:
        print(f"keskinube: {exc.render(cli_translator().language)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        tr = cli_translator()
        print(f"keskinube: {tr('cli.interrupted')}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
