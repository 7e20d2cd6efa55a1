"""Render a plan for people and pipelines: text, Markdown, HTML and JSON, all from one model.

Pure (no AWS, no clock): returns strings; the CLI writes them. Templates live in the
top-level `templates/` folder (packed into the wheel) and are loaded through
`resources.template_text`. HTML is autoescaped, so every value that came from the account
(names, tag values, customer ids) is inert; Markdown escapes them with `md` (inline) and
`fence` (code blocks), so they cannot open links, HTML or a new block.

Markdown comes in two sizes: by default a summary that fits a pull-request comment
(`SUMMARY_LIMIT` characters, at 10,000 customers too) -- every irreversible action and every
blocker, the other notices grouped by kind with counts, the cohorts, the canary's tenants
with their settings, the plan's checksum and where the full report is -- and with
`full=True` every action, notice and tenant, as the HTML report has them.
"""

import json
import re
import shlex
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape
from tabulate import tabulate

from ..planning.durations import duration
from ..planning.plan import Plan
from ..resources import template_text
from .model import report_data
from .views import Part, plan_part

FORMATS = ("text", "markdown", "html", "json")
_TEMPLATES = {
    "text": "report/plan.txt.j2",
    "markdown": "report/plan-summary.md.j2",
    "html": "report/plan.html.j2",
}
FULL_MARKDOWN = "report/plan.md.j2"
SUMMARY_LIMIT = 65_536
"""The most a GitHub pull-request comment takes."""
LISTED = 100
"""How many irreversible actions, blockers or canary tenants the summary lists before it
says how many more the full report has, should the whole list not fit."""
EXAMPLES = 3
"""Subjects named per kind of notice in the summary."""
_AUTOLINK_WWW = re.compile(r"(?i)\b(www)\.")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


def markdown_inline(value: object) -> str:
    """Text that Markdown shows as written: its syntax, any HTML and any autolink escaped."""
    text = str(visible(" ".join(str(value).split())))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;"))
    text = text.replace("://", "&#58;//").replace("@", "&#64;")
    return _AUTOLINK_WWW.sub(r"\1&#46;", text)


def markdown_code(value: object, cell: bool = False) -> str:
    """`value` as an inline code span, shown exactly as written (no entity, no escape to read
    past): on one line, fenced by more backticks than it holds. In a table `cell`, its pipes
    are escaped, as GitHub's tables need even inside code."""
    text = str(visible(" ".join(str(value).split())))
    mark = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    if cell:
        padded = padded.replace("|", "\\|")
    return f"{mark}{padded}{mark}"


def one_line(value: object) -> str:
    """`value` with its line breaks and runs of whitespace as one space."""
    return str(visible(" ".join(str(value).split())))


def python_string(value: object) -> str:
    """`value` as a Python string literal on one line, as written (no HTML escapes)."""
    return json.dumps(str(visible(str(value))), ensure_ascii=False)


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
    env.filters["code"] = markdown_code
    env.filters["oneline"] = one_line
    env.filters["pystr"] = python_string
    env.filters["duration"] = duration
    env.filters["settings"] = tenant_settings
    env.filters["after"] = gated_after
    env.globals["fence"] = fence
    env.globals["tabulate"] = tabulate
    return env


def render(
    plan: Plan,
    fmt: str,
    full: bool = False,
    part: Part | None = None,
    source: str = "PLAN",
) -> str:
    """The report of `plan` in `fmt` (text, markdown, html or json), of the whole plan or of
    `part`; `full` Markdown instead of the summary; `source` is the plan file's name, for
    the summary's pointer to the full report."""
    part = part or Part()
    data = report_data(plan_part(plan, part), part, [c.name for c in plan.cohorts], plan)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown report format {fmt!r}: use one of {FORMATS}")
    name = FULL_MARKDOWN if fmt == "markdown" and full else _TEMPLATES[fmt]
    template = environment().get_template(name)
    helpers = _helpers(data)
    if name != _TEMPLATES["markdown"]:
        return template.render(report=data, **helpers)
    command = _show_command(source, part)
    text = template.render(report=data, command=command, listed=None, **helpers)
    if len(text) > SUMMARY_LIMIT:
        text = template.render(report=data, command=command, listed=LISTED, **helpers)
    return text


def _show_command(source: str, part: Part) -> str:
    """The `sesmigrate show` arguments that give the full report of the same view."""
    words = [source]
    if part.cohort is not None:
        words += ["--cohort", part.cohort]
    if part.customer is not None:
        words += ["--customer", part.customer]
    return " ".join(shlex.quote(w) for w in words)


def _helpers(data: dict[str, Any]) -> dict[str, Any]:
    rows = [
        (
            c["name"],
            len(c["customers"]),
            len(c["tenants"]),
            len(c["actions"]),
            duration(c["estimate"]["seconds"]),
            gated_after(c["gate"]),
        )
        for c in data["cohorts"]
    ]
    gated = [c["gate"] for c in data["cohorts"] if c["gate"] is not None]
    groups: dict[tuple[str, str], list[str]] = {}
    for notice in data["notices"]:
        if notice["severity"] != "blocker":
            groups.setdefault((notice["severity"], notice["kind"]), []).append(
                notice["subject"] or notice["message"]
            )
    actions = [action for cohort in data["cohorts"] for action in cohort["actions"]]
    irreversible = [action for action in actions if action["irreversible"]]
    canary = next((c for c in data["cohorts"] if c["name"] == "canary"), None)
    canary_tenants = set(canary["tenants"]) if canary else set()
    return {
        "cohort_rows": rows,
        "listed_tenants": {t["name"] for t in data["tenants"]},
        "blockers": [n for n in data["notices"] if n["severity"] == "blocker"],
        "notice_groups": [
            (severity, kind, len(subjects), subjects[:EXAMPLES])
            for (severity, kind), subjects in groups.items()
        ],
        "irreversible": irreversible,
        "canary_tenants": [t for t in data["tenants"] if t["name"] in canary_tenants],
        "gate_checks": gated[0]["checks"] if gated else [],
    }


def gated_after(gate: dict[str, Any] | None) -> str:
    """The cohorts whose tenants a cohort's gate checks, in words: a run of cohorts, said
    by its ends so that a plan of many waves stays readable."""
    if gate is None:
        return "none"
    after = gate["after"]
    if after["cohorts"] == 1:
        return str(after["first"])
    return f"{after['first']} to {after['last']} ({after['cohorts']} cohorts)"


def tenant_settings(tenant: dict[str, Any]) -> str:
    """What the plan sets on a tenant, in words: policy, suppression, associations, events."""
    policy = f"{tenant['policy']} reputation policy" if tenant["policy"] else "policy kept"
    suppression = tenant["suppression"]
    if suppression is None:
        suppressing = "account suppression settings"
    else:
        reasons = ", ".join(suppression["reasons"]) or "no reason"
        scope = f" at {suppression['scope']} scope" if suppression["scope"] else ""
        suppressing = f"suppressing {reasons}{scope}"
    counts = ", ".join(
        f"{len(names)} {label if len(names) == 1 else plural}"
        for names, label, plural in (
            (tenant["associated"]["identities"], "identity", "identities"),
            (tenant["associated"]["configuration_sets"], "configuration set", "configuration sets"),
            (tenant["associated"]["templates"], "template", "templates"),
        )
    )
    events = "events monitored" if tenant["monitored"] else "events not monitored"
    return f"{policy}; {suppressing}; {counts}; {events}"
