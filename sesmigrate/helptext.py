"""`--help` that reads at 80 columns: whole option names, words for values, no Python types.

Typer's Rich panels squeeze the option column (`--detailed-exitc…`) and show each value's
Python type (`<bool>`, `<list[str]>`). The CLI uses click's plain layout instead (it wraps
the help text and never cuts an option name), and `ReadableHelp`, the command group,
gives every option that takes a value a word for it (`--canary N`, `--region REGION`,
`--state-dir DIR`), drops the `[default: no-x]` of off-by-default flags and lists each
command with its whole first sentence. Only help text changes: parsing is click's.
"""

import re
from pathlib import Path
from typing import Any, get_args, get_origin

from typer.core import TyperArgument, TyperGroup, TyperOption

WORDS = {
    "adopt": "TENANT",
    "cohort": "NAME",
    "cutover": "DIR",
    "dedicated-tiers": "TIERS",
    "journal": "FILE",
    "name-pattern": "REGEX",
    "op-rate": "OP=N",
    "strategy": "NAME",
    "waves": "SHARES",
}
"""Options whose value reads better with its own word than with one derived from its type."""
PATH_WORDS = {"dir": "DIR", "file": "FILE", "inventory": "FILE", "output": "FILE"}
"""Last word of a path option's name -> its value's word; any other path is PATH."""


def value_word(option: TyperOption) -> str:
    """The word that stands for an option's value in `--help`."""
    longest = max(option.opts, key=len).lstrip("-")
    last = longest.rsplit("-", 1)[-1]
    if longest in WORDS:
        return WORDS[longest]
    described = option.type_descriptor
    if described.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in described.choices or ()) + "]"
    annotation = described.annotation
    if get_origin(annotation) is list:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, int | float):
        return "N"
    if described.is_path or annotation is Path:
        return PATH_WORDS.get(last, "PATH")
    return re.sub(r"[^A-Z0-9]", "_", last.upper())


def readable(command: Any) -> None:
    """Give `command`'s options value words and quiet defaults (in place, help text only)."""
    for param in command.params:
        if isinstance(param, TyperArgument):
            if param.metavar is None and param.name:
                param.metavar = param.name.upper()
            # `PLAN <path>`: the name says what it holds; the type is Python's word for it
            param.display_type_rich = lambda ctx: None
        if not isinstance(param, TyperOption):
            continue
        if param.is_flag or param.count:
            if param.default in (False, None):
                param.show_default = False
        elif param.metavar is None:
            param.metavar = value_word(param)


class ReadableHelp(TyperGroup):
    """The command group: plain click help for every command, made readable."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.rich_markup_mode = None
        readable(self)
        for command in self.commands.values():
            if hasattr(command, "rich_markup_mode"):
                command.rich_markup_mode = None
            readable(command)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its whole first sentence, wrapped, never cut with '...'."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            first = (command.help or "").strip().split("\n\n")[0]
            rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
