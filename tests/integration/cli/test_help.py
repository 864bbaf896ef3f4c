"""`milepost --help` and the CLI's own docstring tell a user about every command there is."""

from __future__ import annotations

import argparse

import connector.cli
from connector.cli import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: str = "milepost") -> list[str]:
    """Every command line a user can type, down to the last subcommand (`milepost sandbox serve`)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, f"{prefix} {name}") or [f"{prefix} {name}"]
    return found


def test_the_package_docstring_lists_every_command():
    documented = connector.cli.__doc__ or ""
    commands = _commands(build_parser())
    assert {"milepost sandbox serve", "milepost monthly", "milepost milestone progress",
            "milepost connect", "milepost worker"} <= set(commands)
    missing = [c for c in commands if not _documented(c, documented)]
    assert missing == []


def _documented(command: str, doc: str) -> bool:
    """`milepost milestone accept` counts as documented by `milepost milestone submit|accept|...`."""
    *head, last = command.split()
    for line in doc.splitlines():
        words = line.split()
        if words[: len(head)] == head and len(words) > len(head) and last in words[len(head)].split("|"):
            return True
    return False


def test_every_command_says_what_it_is_for_in_the_help():
    parser = build_parser()
    text = parser.format_help()
    [subcommands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    unexplained = [c.dest for c in subcommands._choices_actions if not c.help]
    assert unexplained == []
    assert "milepost demo" in text
