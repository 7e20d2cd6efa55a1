"""Render a plan for people and pipelines: text, Markdown, HTML and JSON, all from one model.

Pure (no AWS, no clock): returns strings; the CLI writes them. Templates live in the
top-level `templates/` folder (packed into the wheel) and are loaded through
`resources.template_text`. HTML is autoescaped, so every value that came from the account
(names, tag values, customer ids) is inert; Markdown escapes them with `md` (inline) and
`fence` (code blocks), so they cannot open links, HTML or a new block.
"""

import json
import re
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape
from tabulate import tabulate

from ..planning.durations import duration
from ..planning.plan import Plan
from ..resources import template_text
from .model import report_data

FORMATS = ("text", "markdown", "html", "json")
_TEMPLATES = {
    "text": "report/plan.txt.j2",
    "markdown": "report/plan.md.j2",
    "html": "report/plan.html.j2",
}
_AUTOLINK_WWW = re.compile(r"(?i)\b(www)\.")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


def markdown_inline(value: object) -> str:
    """Text that Markdown shows as written: its syntax, any HTML and any autolink escaped."""
    text = str(visible(" ".join(str(value).split())))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))
    text = text.replace("://", "&#58;//").replace("@", "&#64;")
    return _AUTOLINK_WWW.sub(r"\1&#46;", text)


_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(value: object) -> object:
    """Control and bidirectional-override characters shown as `\\u` and four hex digits,
    never emitted raw: they could drive a terminal (ANSI escapes) or make a name read as
    another (U+202E)."""
    if isinstance(value, str):
        return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return value


def fence(text: str) -> str:
    """A code-block fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def environment() -> Environment:
    env = Environment(
        loader=FunctionLoader(template_text),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=visible,
    )
    env.filters["md"] = markdown_inline
    env.filters["duration"] = duration
    env.globals["fence"] = fence
    env.globals["tabulate"] = tabulate
    return env


def render(plan: Plan, fmt: str) -> str:
    """The report of `plan` in `fmt` (text, markdown, html or json)."""
    data = report_data(plan)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown report format {fmt!r}: use one of {FORMATS}")
    return environment().get_template(_TEMPLATES[fmt]).render(report=data, **_helpers(data))


def _helpers(data: dict[str, Any]) -> dict[str, Any]:
    rows = [
        (
            c["name"],
            len(c["customers"]),
            len(c["tenants"]),
            len(c["actions"]),
            duration(c["estimate"]["seconds"]),
        )
        for c in data["cohorts"]
    ]
    return {"cohort_rows": rows, "listed_tenants": {t["name"] for t in data["tenants"]}}
