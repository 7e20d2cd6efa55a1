"""Hostile input: every parser refuses it with one line, and hostile account data stays inert.

The plan and inventory files are sealed (checksum, fingerprint), so random edits stop at the
seal. The fuzzers here reseal each mutated document the way sesmigrate would, so the
mutation reaches the builder behind the seal: a hand-made or buggy plan file must still be
refused with one `SesmigrateError` line and never a traceback. Inputs that are known to break
a parser once are pinned as explicit cases, each with its minimal reproduction.

The last part feeds tag values with markup, NUL, ANSI escapes, a right-to-left override,
emoji and line breaks through a real plan into every report format and the cut-over kit.
"""

import copy
import functools
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sesmigrate.actions.kinds import KINDS
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.cli import main
from sesmigrate.emulator.accounts import as_inventory, realistic_account
from sesmigrate.errors import SesmigrateError
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.ownership import OwnershipRuleError, parse_pattern
from sesmigrate.planning.plan import Plan, PlanFileError, checksum_of, plan_to_json, read_plan
from sesmigrate.planning.snapshot import (
    AccountInfo,
    ConfigurationSet,
    EmailTemplate,
    Identity,
    Inventory,
    InventoryError,
    canonical_json,
    read_inventory,
)
from sesmigrate.report import FORMATS, render
from sesmigrate.report.kits import cutover_combined, iam_document

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FACT_KEYS = ("account", "identities", "configuration_sets", "pools", "templates", "tenants")

# Infinity and NaN are left out: an infinite rate is a known crash, pinned below.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def assert_one_line(error: SesmigrateError, source: str) -> None:
    message = str(error)
    assert message.startswith(f"{source}: ")
    assert "\n" not in message and "\r" not in message


# --- real documents to mutate -------------------------------------------------------------


@functools.cache
def real_inventory_text() -> str:
    return as_inventory(realistic_account(4, 1)).to_json("t")


@functools.cache
def real_plan_text() -> str:
    with tempfile.TemporaryDirectory() as folder:
        inventory = Path(folder, "inventory.json")
        inventory.write_text(real_inventory_text(), encoding="utf-8")
        request = PlanRequest(
            None, {"strategy": "tiered"}, inventory, AwsSettings(region="us-east-1")
        )
        return plan_to_json(make_plan(request).plan)


def real_plan_document() -> dict[str, Any]:
    return json.loads(real_plan_text())


def real_inventory_document() -> dict[str, Any]:
    return json.loads(real_inventory_text())


def resealed_plan(document: dict[str, Any]) -> str:
    """The document with the checksum sesmigrate would write for its body."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    return json.dumps({**body, "checksum": checksum_of(body)})


def refingerprinted_inventory(document: dict[str, Any]) -> str:
    """The document with the fingerprint `read_inventory` computes from its facts."""
    facts = {key: document[key] for key in FACT_KEYS if key in document}
    digest = hashlib.sha256(canonical_json(facts).encode()).hexdigest()
    return json.dumps({**document, "fingerprint": f"sha256:{digest}"})


def edited(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of `document` with the value at `path` replaced."""
    copied = copy.deepcopy(document)
    parent = copied
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return copied


def without(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    parent = copied
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return copied


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a nested value, the root excluded."""
    children: Any = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        yield (*prefix, key)
        yield from paths_of(child, (*prefix, key))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


MUTATIONS = ("replace", "delete", "list_to_dict", "string", "duplicate", "kind", "batch_index")


@st.composite
def mutated(
    draw: st.DrawFn, document: dict[str, Any], keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`document` after one to three structural mutations (never of the top-level `keep`)."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in paths_of(document) if p[0] not in keep]
        mutation = draw(st.sampled_from(MUTATIONS))
        steps, cohorts = document.get("steps"), document.get("cohorts")
        if mutation == "kind" and isinstance(steps, list) and steps:
            step = draw(st.integers(0, len(steps) - 1))
            if isinstance(steps[step], dict) and isinstance(steps[step].get("action"), dict):
                unknown = draw(
                    json_values.filter(lambda v: not isinstance(v, str) or v not in KINDS)
                )
                steps[step]["action"]["kind"] = unknown
                continue
        if mutation == "batch_index" and isinstance(cohorts, list) and isinstance(steps, list):
            batches = [
                (c, b, i)
                for c, cohort in enumerate(cohorts)
                if isinstance(cohort, dict) and isinstance(cohort.get("batches"), list)
                for b, batch in enumerate(cohort["batches"])
                if isinstance(batch, list)
                for i in range(len(batch))
            ]
            if batches:
                c, b, i = draw(st.sampled_from(batches))
                cohorts[c]["batches"][b][i] = draw(
                    st.integers(len(steps), 10**9) | st.integers(-(10**9), -1) | json_values
                )
                continue
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key, value = at(document, path[:-1]), path[-1], at(document, path)
        if mutation == "delete":
            del parent[key]
        elif mutation == "list_to_dict" and isinstance(value, list):
            parent[key] = {str(n): item for n, item in enumerate(value)}
        elif mutation == "string":
            parent[key] = draw(st.text(max_size=8))
        elif mutation == "duplicate" and isinstance(value, list) and value:
            value.append(copy.deepcopy(draw(st.sampled_from(value))))
        else:
            parent[key] = draw(json_values)
    return document


# --- read_plan -----------------------------------------------------------------------------


class TestReadPlan:
    @FUZZ
    @given(st.text())
    @example("")
    @example("{")
    @example('{"format": "sesmigrate-plan", "format_version": 1}')
    def test_read_plan_refuses_arbitrary_text_with_one_line(self, text: str) -> None:
        with pytest.raises(PlanFileError) as caught:
            read_plan(text, "fuzz.plan.json")

        assert_one_line(caught.value, "fuzz.plan.json")

    @FUZZ
    @given(json_values)
    def test_read_plan_refuses_arbitrary_json_with_one_line(self, value: Any) -> None:
        with pytest.raises(PlanFileError) as caught:
            read_plan(json.dumps(value), "fuzz.plan.json")

        assert_one_line(caught.value, "fuzz.plan.json")

    @FUZZ
    @given(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
    def test_read_plan_refuses_sealed_documents_of_arbitrary_shape_with_one_line(
        self, extra: dict[str, Any]
    ) -> None:
        text = resealed_plan({**extra, "format": "sesmigrate-plan", "format_version": 1})

        with pytest.raises(PlanFileError) as caught:
            read_plan(text, "fuzz.plan.json")

        assert_one_line(caught.value, "fuzz.plan.json")

    def test_read_plan_reaches_the_builder_when_a_mutated_plan_is_resealed(self) -> None:
        text = resealed_plan(without(real_plan_document(), ("rates",)))

        with pytest.raises(PlanFileError) as caught:
            read_plan(text, "p.json")

        assert str(caught.value) == "p.json: malformed plan: plan has no 'rates'"

    @FUZZ
    @given(mutated(real_plan_document(), keep=("checksum",)))
    @example(edited(real_plan_document(), ("steps", 0, "action", "kind"), "launch_rockets"))
    @example(edited(real_plan_document(), ("cohorts", 0, "batches", 0, 0), 10**6))
    @example(edited(real_plan_document(), ("steps",), "not a list"))
    @example(edited(real_plan_document(), ("tenants",), {"0": {}}))
    def test_read_plan_returns_a_plan_or_one_line_when_a_mutated_plan_is_resealed(
        self, document: dict[str, Any]
    ) -> None:
        try:
            plan = read_plan(resealed_plan(document), "fuzz.plan.json")
        except PlanFileError as error:
            assert_one_line(error, "fuzz.plan.json")
        else:
            assert isinstance(plan, Plan)

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("[" * 100_000, id="deeply-nested-json-RecursionError"),
            pytest.param("1" * 5000, id="5000-digit-integer-ValueError"),
            pytest.param(
                '{"format": "sesmigrate-plan", "format_version": 1, "x": "\\ud800"}',
                id="lone-surrogate-escape-UnicodeEncodeError",
            ),
            pytest.param(
                resealed_plan(edited(real_plan_document(), ("rates", "default"), float("inf"))),
                id="infinite-rate-OverflowError",
            ),
        ],
    )
    def test_read_plan_refuses_hostile_json_with_one_line(self, text: str) -> None:
        with pytest.raises(PlanFileError) as caught:
            read_plan(text, "hostile.plan.json")

        assert_one_line(caught.value, "hostile.plan.json")


# --- a plan read_plan accepts must render -----------------------------------------------------

# Sealed but inconsistent plans (they once passed read_plan and crashed a report).
UNRENDERABLE = [
    pytest.param(without(real_plan_document(), ("spec", "name")), id="spec-without-name-KeyError"),
    pytest.param(
        edited(real_plan_document(), ("cohorts", 0, "batches"), []),
        id="step-in-no-batch-KeyError",
    ),
    pytest.param(
        edited(real_plan_document(), ("cohorts", 0, "batches", 0, 0), -1),
        id="negative-batch-index-accepted-KeyError",
    ),
    pytest.param(
        edited(real_plan_document(), ("steps", 0, "action", "resource_arn"), True),
        id="non-string-arn-AttributeError",
    ),
    pytest.param(
        edited(real_plan_document(), ("steps", 1, "action", "tenant"), ["a"]),
        id="list-tenant-TypeError",
    ),
    pytest.param(
        edited(real_plan_document(), ("steps", 0, "cohort"), ["canary"]),
        id="list-cohort-TypeError",
    ),
]


class TestRenderAfterRead:
    @pytest.mark.parametrize("document", UNRENDERABLE)
    def test_read_plan_refuses_or_render_succeeds_when_a_sealed_plan_is_inconsistent(
        self, document: dict[str, Any]
    ) -> None:
        try:
            plan = read_plan(resealed_plan(document), "bad.plan.json")
        except PlanFileError as error:
            assert_one_line(error, "bad.plan.json")
            return

        assert all(render(plan, fmt) for fmt in FORMATS)

    @FUZZ
    @given(mutated(real_plan_document(), keep=("checksum",)))
    @example(without(real_plan_document(), ("spec", "name")))
    def test_render_renders_every_format_of_a_mutated_resealed_plan_read_plan_accepts(
        self, document: dict[str, Any]
    ) -> None:
        try:
            plan = read_plan(resealed_plan(document), "fuzz.plan.json")
        except PlanFileError:
            return

        assert all(isinstance(render(plan, fmt), str) for fmt in FORMATS)

    def test_render_renders_every_format_of_the_real_plan_after_reading_it(self) -> None:
        plan = read_plan(real_plan_text())

        outputs = {fmt: render(plan, fmt) for fmt in FORMATS}

        assert all(plan.migration in outputs[fmt] for fmt in FORMATS)


# --- read_inventory ------------------------------------------------------------------------


class TestReadInventory:
    @FUZZ
    @given(st.text())
    @example('{"format": "sesmigrate-inventory", "format_version": 1}')
    def test_read_inventory_refuses_arbitrary_text_with_one_line(self, text: str) -> None:
        with pytest.raises(InventoryError) as caught:
            read_inventory(text, "fuzz.json")

        assert_one_line(caught.value, "fuzz.json")

    def test_read_inventory_reaches_the_reader_when_a_mutated_inventory_is_refingerprinted(
        self,
    ) -> None:
        text = refingerprinted_inventory(edited(real_inventory_document(), ("pools",), {}))

        with pytest.raises(InventoryError) as caught:
            read_inventory(text, "inv.json")

        assert str(caught.value).startswith("inv.json: 'pools' must be a list")

    # `notes` is not mutated: a non-list `notes` is a known crash, pinned below.
    @FUZZ
    @given(mutated(real_inventory_document(), keep=("fingerprint", "notes")))
    @example(edited(real_inventory_document(), ("account", "max_send_rate"), "fast"))
    @example(edited(real_inventory_document(), ("identities", 0, "tags"), [{"Key": 1}]))
    @example(without(real_inventory_document(), ("templates",)))
    def test_read_inventory_returns_an_inventory_or_one_line_when_mutated_and_refingerprinted(
        self, document: dict[str, Any]
    ) -> None:
        try:
            inventory = read_inventory(refingerprinted_inventory(document), "fuzz.json")
        except InventoryError as error:
            assert_one_line(error, "fuzz.json")
        else:
            assert isinstance(inventory, Inventory)

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("[" * 100_000, id="deeply-nested-json-RecursionError"),
            pytest.param("1" * 5000, id="5000-digit-integer-ValueError"),
            pytest.param(
                json.dumps({**real_inventory_document(), "notes": 5}),
                id="notes-not-a-list-TypeError",
            ),
            pytest.param(
                real_inventory_text().replace('"free-tier-shared"', '"\\ud800"', 1),
                id="lone-surrogate-escape-UnicodeEncodeError",
            ),
        ],
    )
    def test_read_inventory_refuses_hostile_json_with_one_line(self, text: str) -> None:
        with pytest.raises(InventoryError) as caught:
            read_inventory(text, "hostile.json")

        assert_one_line(caught.value, "hostile.json")


# --- parse_pattern -------------------------------------------------------------------------

# Regex syntax, letters of the group names, no digits: a repetition count too large for `re`
# is a known crash (pinned below), and 40 characters cannot nest deep enough to hit the other.
# No line breaks either: `re` quotes some of them raw in its message, a known bug pinned below.
REGEX_TEXT = st.text(alphabet="()[]{}<>?P=!:^$.*+|\\-,customertiabwsdS \t", max_size=40)
ANY_TEXT = st.text().filter(lambda text: "\n" not in text and "\r" not in text)


class TestParsePattern:
    # `re` warns about sets like `[[` or `--` that may change meaning: warnings, not errors.
    @pytest.mark.filterwarnings("ignore:Possible:FutureWarning")
    @FUZZ
    @given(ANY_TEXT | REGEX_TEXT | REGEX_TEXT.map(lambda t: f"(?P<customer>{t})"))
    @example("(?P<customer>[a-z")
    @example("(?P<customer>a)\n(")
    @example("(?P<customer>\\w+)\n")
    @example("(?P<customer>a)(?P<customer>b)")
    def test_parse_pattern_returns_a_pattern_or_one_line_on_any_text(self, text: str) -> None:
        try:
            pattern = parse_pattern(text)
        except OwnershipRuleError as error:
            assert str(error).startswith("name pattern ")
            assert "\n" not in str(error) and "\r" not in str(error)
        else:
            assert "customer" in pattern.groupindex
            assert set(pattern.groupindex) <= {"customer", "tier"}

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("(?P<customer>a{99999999999})", id="huge-repeat-OverflowError"),
            pytest.param(
                "(?P<customer>" + "(" * 1000 + "a" + ")" * 1000 + ")",
                id="deep-nesting-RecursionError",
            ),
        ],
    )
    def test_parse_pattern_refuses_what_re_cannot_compile_with_one_line(self, text: str) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern(text)

        assert str(caught.value).startswith("name pattern ")

    @pytest.mark.parametrize(
        "text",
        ["[0-\n", "(?<\n", "(?P<customer>a)[\r-\n]"],
        ids=["range-to-newline", "extension-newline", "range-cr-to-lf"],
    )
    def test_parse_pattern_error_is_one_line_when_re_quotes_a_line_break(self, text: str) -> None:
        with pytest.raises(OwnershipRuleError) as caught:
            parse_pattern(text)

        assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


# --- the CLI -------------------------------------------------------------------------------


def show(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["show", str(path)])
    return status, out.getvalue(), err.getvalue()


def assert_refused_with_one_line(status: int, err: str) -> None:
    assert status == 1
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith("Error: ")
    assert "Traceback" not in err


class TestShowCommand:
    @FUZZ
    @given(st.binary(max_size=200))
    @example(b"\xff\xfe")
    @example(b"")
    @example(b'{"format":"sesmigrate-plan","format_version":1,"checksum":"sha256:0"}')
    def test_show_exits_1_with_one_line_on_a_file_of_arbitrary_bytes(
        self, tmp_path_factory: pytest.TempPathFactory, data: bytes
    ) -> None:
        path = tmp_path_factory.mktemp("bytes") / "fuzz.plan.json"
        path.write_bytes(data)

        status, _, err = show(path)

        assert status == 1
        assert_refused_with_one_line(status, err)

    @FUZZ
    @given(mutated(real_plan_document(), keep=("checksum",)))
    @example(edited(real_plan_document(), ("cohorts", 0, "batches"), []))
    def test_show_exits_0_or_1_with_one_line_on_a_mutated_resealed_plan(
        self, tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]
    ) -> None:
        path = tmp_path_factory.mktemp("plan") / "fuzz.plan.json"
        path.write_text(resealed_plan(document), encoding="utf-8")

        status, out, err = show(path)

        if status == 0:
            assert out and not err
        else:
            assert_refused_with_one_line(status, err)

    def test_show_exits_0_on_a_resealed_unchanged_plan(self, tmp_path: Path) -> None:
        path = tmp_path / "same.plan.json"
        path.write_text(resealed_plan(real_plan_document()), encoding="utf-8")

        status, out, err = show(path)

        assert (status, err) == (0, "")
        assert "Migration tiered (tiered)" in out

    def test_show_exits_1_with_one_line_on_a_5000_digit_number(self, tmp_path: Path) -> None:
        path = tmp_path / "digits.plan.json"
        path.write_text("1" * 5000, encoding="utf-8")

        status, _, err = show(path)

        assert status == 1
        assert_refused_with_one_line(status, err)


# --- hostile account data through every report ----------------------------------------------

SCRIPT = "<script>alert(1)</script>"
HOSTILE_CUSTOMERS = (
    SCRIPT,
    "nul\u0000byte",
    "\x1b[31mred\x1b[0m",
    "rtl\u202egnp.exe",
    "emoji \U0001f680\U0001f4e7",
    "line1\nline2\r\nline3",
)
HOSTILE_TIERS = ("vip", "pro<b>", "free\x1b[1m")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 control characters other than tab and line breaks, and DEL."""


def hostile_inventory() -> Inventory:
    """Six customers whose customer and tier tag values are hostile."""
    identities, sets = [], []
    for n, customer in enumerate(HOSTILE_CUSTOMERS):
        tags = (("customer", customer), ("tier", HOSTILE_TIERS[n % len(HOSTILE_TIERS)]))
        identities.append(
            Identity(f"c{n}.example.com", "DOMAIN", "SUCCESS", True, True, f"cs{n}", tags)
        )
        sets.append(ConfigurationSet(f"cs{n}", None, True, None, (), None, False, None, tags))
    return Inventory(
        account=AccountInfo("123456789012", "us-east-1", "aws", 50_000.0, 14.0, True, True),
        identities=tuple(identities),
        configuration_sets=tuple(sets),
        pools=(),
        templates=(EmailTemplate("welcome", (("customer", SCRIPT),)),),
        tenants=(),
    )


@pytest.fixture(scope="module", params=["isolated", "tiered"])
def hostile_outputs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Every report of a plan of the hostile inventory, after a round trip through the file."""
    inventory = tmp_path_factory.mktemp("hostile") / "inventory.json"
    inventory.write_text(hostile_inventory().to_json("t"), encoding="utf-8")
    plan_request = PlanRequest(
        None, {"strategy": request.param}, inventory, AwsSettings(region="us-east-1")
    )
    plan = read_plan(plan_to_json(make_plan(plan_request).plan))
    outputs = {fmt: render(plan, fmt) for fmt in FORMATS}
    outputs["markdown-full"] = render(plan, "markdown", full=True)
    outputs["cutover"] = cutover_combined(plan)
    outputs["iam"] = iam_document(plan)
    return outputs


def outside_code_blocks(markdown: str) -> str:
    """Markdown without its fenced code blocks and inline code spans."""
    kept, fence = [], ""
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence) and not stripped.strip("`"):
                fence = ""
            continue
        opening = re.match(r"`{3,}", stripped)
        if opening:
            fence = opening.group(0)
            continue
        kept.append(re.sub(r"(`+).*?\1", "", line))
    return "\n".join(kept)


class TestHostileAccountData:
    def test_reports_carry_the_hostile_customers_into_html_markdown_and_json(
        self, hostile_outputs: dict[str, str]
    ) -> None:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_outputs["html"]
        assert "\U0001f680" in hostile_outputs["html"]
        tenants = json.loads(hostile_outputs["json"])["tenants"]
        assert any(SCRIPT in tenant["customers"] for tenant in tenants)
        assert "line1 line2 line3" in hostile_outputs["markdown-full"]
        assert "line1 line2 line3" in hostile_outputs["cutover"]

    def test_html_report_escapes_markup_from_tag_values(
        self, hostile_outputs: dict[str, str]
    ) -> None:
        assert SCRIPT not in hostile_outputs["html"]
        assert "pro<b>" not in hostile_outputs["html"]

    @pytest.mark.parametrize("fmt", ["markdown", "markdown-full", "cutover"])
    def test_markdown_escapes_markup_from_tag_values_outside_code_blocks(
        self, hostile_outputs: dict[str, str], fmt: str
    ) -> None:
        prose = outside_code_blocks(hostile_outputs[fmt])

        assert re.findall(r"(?<!\\)<(?:script|b)\b", prose) == []  # `\<` is inert

    @pytest.mark.parametrize("fmt", ["text", "markdown", "markdown-full", "cutover", "json"])
    def test_report_keeps_a_tag_value_with_line_breaks_on_one_line(
        self, hostile_outputs: dict[str, str], fmt: str
    ) -> None:
        lines = hostile_outputs[fmt].splitlines()

        assert "\r" not in hostile_outputs[fmt]
        assert not [line for line in lines if line.lstrip().startswith(("line2", "line3"))]

    @pytest.mark.parametrize(
        "fmt",
        [
            "text",
            "json",
            "iam",
            "markdown",
            "markdown-full",
            "html",
            "cutover",
        ],
    )
    def test_report_contains_no_control_characters_from_tag_values(
        self, hostile_outputs: dict[str, str], fmt: str
    ) -> None:
        assert CONTROL.findall(hostile_outputs[fmt]) == []

    @pytest.mark.parametrize("fmt", ["markdown", "markdown-full", "cutover"])
    def test_markdown_renders_no_link_html_or_emphasis_from_tag_values(
        self, hostile_outputs: dict[str, str], fmt: str
    ) -> None:
        html = MarkdownIt("commonmark").enable("table").render(hostile_outputs[fmt])

        assert "<script" not in html
        assert "<b>" not in html
        assert "<a " not in html
        assert "<em>" not in html

    def test_cutover_kit_shows_tag_values_as_written_without_html_entities(
        self, hostile_outputs: dict[str, str]
    ) -> None:
        kit = hostile_outputs["cutover"]

        assert f"`{SCRIPT}`" in kit
        assert re.findall(r"&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);", kit) == []

    @pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
    def test_show_of_a_hostile_customer_renders_inertly(self, tmp_path: Path, fmt: str) -> None:
        inventory = tmp_path / "inventory.json"
        inventory.write_text(hostile_inventory().to_json("t"), encoding="utf-8")
        plan_file = tmp_path / "hostile.plan.json"
        request = PlanRequest(None, {}, inventory, AwsSettings(region="us-east-1"))
        plan_file.write_text(plan_to_json(make_plan(request).plan), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()

        with redirect_stdout(out), redirect_stderr(err):
            status = main(["show", str(plan_file), "--customer", SCRIPT, "--format", fmt])

        shown = out.getvalue()
        assert (status, err.getvalue()) == (0, "")
        assert CONTROL.findall(shown) == []
        if fmt == "html":
            assert SCRIPT not in shown
        if fmt == "markdown":
            assert re.findall(r"(?<!\\)<script\b", outside_code_blocks(shown)) == []
            assert "<script" not in MarkdownIt("commonmark").render(shown)
