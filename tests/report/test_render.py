"""The review reports: golden files, escaping of account data, and the Markdown helpers."""

import dataclasses
import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sesmigrate.actions.tenant import AttachResource, DeleteTenant
from sesmigrate.aws.clients import AwsSettings
from sesmigrate.emulator.accounts import as_inventory, realistic_account
from sesmigrate.planning.build import PlanRequest, make_plan
from sesmigrate.planning.durations import duration
from sesmigrate.planning.naming import tenant_name
from sesmigrate.planning.plan import Plan, Step, plan_to_json, read_plan
from sesmigrate.planning.spec import GateSpec
from sesmigrate.report import FORMATS, render
from sesmigrate.report.model import gate_checks
from sesmigrate.report.render import SUMMARY_LIMIT, fence, markdown_inline
from sesmigrate.report.views import Part

from .conftest import (
    FIXED_TENANTS,
    MARKDOWN,
    MULLER,
    SCRIPT,
    SHARED_TENANT,
    arn,
    build_small_plan,
    check_golden,
    sealed,
    with_gates,
    with_steps,
)

MARKDOWN_ESCAPED = r"\*bold\* \[x\](http&#58;//evil) \| pipe"
SCRIPT_ESCAPED_MD = r"\<script\>alert(1)\</script\>"
SCRIPT_ESCAPED_HTML = "&lt;script&gt;alert(1)&lt;/script&gt;"


class Page(HTMLParser):
    """What a browser would build from an HTML report: tags, attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def values(self, name: str) -> list[str]:
        return [value for _, attribute, value in self.attributes if attribute == name]


def markdown_parser() -> MarkdownIt:
    """CommonMark with raw HTML on (as GitHub passes some through), tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def html_tokens(markdown: str) -> list[str]:
    """The raw HTML a Markdown renderer would pass through, block and inline."""
    found = []
    for token in markdown_parser().parse(markdown):
        if token.type == "html_block":
            found.append(token.content)
        found += [c.content for c in token.children or () if c.type == "html_inline"]
    return found


BENIGN = sealed(build_small_plan("cust-a", "cust-b", "cust-c"))
BENIGN_TAGS = Page(render(BENIGN, "html")).tags
"""The HTML report's tag structure when no customer id holds any markup."""


def with_extra_attach(plan: Plan, resource: str) -> Plan:
    """`plan` with one more attach to the shared tenant in the second batch of wave-1."""
    extra = Step(
        AttachResource(SHARED_TENANT, resource, "EMAIL_IDENTITY"), "wave-1", (MARKDOWN,), "x", ()
    )
    cohorts = tuple(
        dataclasses.replace(c, batches=(c.batches[0], (*c.batches[1], extra.action.key)))
        if c.name == "wave-1"
        else c
        for c in plan.cohorts
    )
    return sealed(with_steps(dataclasses.replace(plan, cohorts=cohorts), (*plan.steps, extra)))


class TestGoldenFiles:
    @pytest.mark.parametrize(
        ("fmt", "name"), [("text", "plan.txt"), ("markdown", "plan.md"), ("html", "plan.html")]
    )
    def test_render_matches_golden_file(self, plan: Plan, fmt: str, name: str) -> None:
        text = render(plan, fmt)
        assert text == check_golden(name, text), "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"

    def test_full_markdown_matches_golden_file(self, plan: Plan) -> None:
        text = render(plan, "markdown", full=True)
        assert text == check_golden("plan-full.md", text), "SESMIGRATE_UPDATE_GOLDEN=1 rewrites it"

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_render_gives_the_same_report_for_a_rebuilt_plan(self, plan: Plan, fmt: str) -> None:
        assert render(plan, fmt) == render(sealed(build_small_plan()), fmt)


class TestRender:
    def test_render_offers_the_four_formats(self) -> None:
        assert FORMATS == ("text", "markdown", "html", "json")

    def test_render_refuses_an_unknown_format(self, plan: Plan) -> None:
        with pytest.raises(ValueError, match="unknown report format 'pdf': use one of"):
            render(plan, "pdf")

    @pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
    def test_render_says_no_changes_when_the_plan_has_none(self, plan: Plan, fmt: str) -> None:
        text = render(sealed(with_steps(plan, [])), fmt)

        assert "No changes: the account's tenants already match this plan." in text
        assert "irreversible action" not in text.lower()
        assert "[IRREVERSIBLE]" not in text

    @pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
    def test_render_ends_every_report_with_one_newline(self, plan: Plan, fmt: str) -> None:
        text = render(plan, fmt)

        assert text.endswith("\n")
        assert not text.endswith("\n\n")


class TestTextReport:
    def test_text_report_marks_each_action_with_its_glyph(self, plan: Plan) -> None:
        lines = render(plan, "text").splitlines()

        assert "  + create tenant tier-free" in lines
        assert "  ~ set reputation policy of tier-free to standard" in lines
        assert "  - remove identity/script.example from tier-free" in lines

    def test_text_report_flags_the_irreversible_delete(self, plan: Plan) -> None:
        flagged = [line for line in render(plan, "text").splitlines() if "[IRREVERSIBLE]" in line]

        assert flagged == [
            "  - delete tenant old-promo (irreversible: its id and reputation history are lost)"
            "  [IRREVERSIBLE]"
        ]

    def test_text_report_gives_totals_duration_and_warnings(self, plan: Plan) -> None:
        text = render(plan, "text")

        assert "Plan: 2 tenant(s) to create, 13 action(s), 1 IRREVERSIBLE." in text
        assert "42 API calls, about 20s at an assumed 1 call/s per operation" in text
        assert "Unmanaged tenants left alone: hand-made" in text
        assert f"  ! warning: identity shared.example is used by {MARKDOWN} and {SCRIPT}" in text

    def test_text_report_heads_each_cohort_in_apply_order(self, plan: Plan) -> None:
        heads = [line for line in render(plan, "text").splitlines() if line.startswith("== ")]

        assert heads == [
            "== canary: 1 customer(s), 1 tenant(s), 4 action(s) in 2 batch(es), about 4s ==",
            "== wave-1: 2 customer(s), 2 tenant(s), 7 action(s) in 2 batch(es), about 11s ==",
            "== cleanup: 0 customer(s), 2 tenant(s), 2 action(s) in 1 batch(es), about 5s ==",
        ]


class TestHtmlReport:
    def test_html_report_escapes_markup_in_a_customer_id(self, plan: Plan) -> None:
        html = render(plan, "html")

        assert SCRIPT_ESCAPED_HTML in html
        assert "<script>alert" not in html
        assert SCRIPT not in html

    def test_html_report_has_only_its_own_script_block(self, plan: Plan) -> None:
        html = render(plan, "html")
        page = Page(html)

        assert page.tags.count("script") == 1
        assert html.count("<script") == 1
        assert html.count("</script>") == 1
        assert "(function () {" in html.split("<script>", 1)[1]

    def test_html_report_adds_no_markup_from_account_data(self, plan: Plan) -> None:
        assert Page(render(plan, "html")).tags == BENIGN_TAGS

    def test_html_report_shows_customer_ids_as_written(self, plan: Plan) -> None:
        page = Page(render(plan, "html"))
        text = "".join(page.text)

        assert f"{MARKDOWN}, {MULLER}" in text
        assert SCRIPT in text
        assert any(SCRIPT in value for value in page.values("data-search"))

    def test_html_report_is_self_contained(self, plan: Plan) -> None:
        html = render(plan, "html")
        page = Page(html)

        assert page.values("src") == []
        assert "link" not in page.tags
        assert "@import" not in html
        assert "url(" not in html
        assert all(href.startswith("#") for href in page.values("href"))

    def test_html_report_has_an_anchor_per_cohort_and_tenant(self, plan: Plan) -> None:
        ids = set(Page(render(plan, "html")).values("id"))

        assert {"cohort-canary", "cohort-wave-1", "cohort-cleanup"} <= ids
        assert {"tenant-tier-free", "tenant-script-alert-1-script-5c140d"} <= ids
        assert {"filter", "irreversible", "warnings", "tenants"} <= ids

    def test_html_report_links_every_anchor_to_an_element(self, plan: Plan) -> None:
        page = Page(render(plan, "html"))
        targets = {f"#{name}" for name in page.values("id")}

        assert set(page.values("href")) - targets == set()

    def test_html_report_highlights_irreversible_actions_and_warnings(self, plan: Plan) -> None:
        html = render(plan, "html")
        page = Page(html)

        assert page.values("class").count("irreversible") == 1
        assert '<div class="warn danger" id="irreversible"><b>1 irreversible action(s).</b>' in html
        assert '<span class="tag">irreversible</span>' in html
        assert "<li>unmanaged tenant <code>hand-made</code> is left alone</li>" in html


class TestMarkdownReport:
    def test_markdown_report_has_no_trailing_whitespace(self, plan: Plan) -> None:
        lines = render(plan, "markdown", full=True).splitlines()

        assert [line for line in lines if line != line.rstrip()] == []

    def test_markdown_report_escapes_customer_ids(self, plan: Plan) -> None:
        markdown = render(plan, "markdown", full=True)

        assert f"Customers: {MARKDOWN_ESCAPED}, {SCRIPT_ESCAPED_MD}" in markdown
        assert "Customers: Müller &amp; Söhne" in markdown
        assert SCRIPT not in markdown
        assert MARKDOWN not in markdown

    def test_markdown_report_passes_through_only_its_own_html(self, plan: Plan) -> None:
        found = html_tokens(render(plan, "markdown", full=True))

        assert sorted(set(found)) == [
            "</details>\n",
            "</sub>",
            "<details><summary>canary: 1 customers, 4 actions</summary>\n",
            "<details><summary>cleanup: 0 customers, 2 actions</summary>\n",
            "<details><summary>wave-1: 2 customers, 7 actions</summary>\n",
            "<sub>",
        ]

    def test_markdown_report_makes_no_link_emphasis_or_script_from_a_customer_id(
        self, plan: Plan
    ) -> None:
        html = markdown_parser().render(render(plan, "markdown", full=True))

        assert "<a " not in html
        assert "<em>" not in html
        assert "<script" not in html
        assert html.count("<strong>") == 1
        assert f"Customers: {MARKDOWN}, {SCRIPT_ESCAPED_HTML}" in html
        assert "Müller &amp; Söhne" in html

    def test_markdown_report_summary_table_has_a_row_per_cohort_naming_what_its_gate_follows(
        self, plan: Plan
    ) -> None:
        html = markdown_parser().render(render(plan, "markdown", full=True))
        table = html.split("<table>", 1)[1].split("</table>", 1)[0]
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)

        assert [len(re.findall(r"<t[hd][ >]", row)) for row in rows] == [6, 6, 6, 6]
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows[1:]]
        assert [(row[0], row[-1]) for row in cells] == [
            ("canary", "none"),
            ("wave-1", "canary"),
            ("cleanup", "canary to wave-1 (2 cohorts)"),
        ]

    def test_markdown_report_gives_each_cohort_a_collapsible_diff(self, plan: Plan) -> None:
        tokens = markdown_parser().parse(render(plan, "markdown", full=True))
        diffs = [t.content for t in tokens if t.type == "fence" and t.info == "diff"]

        assert len(diffs) == 3
        assert diffs[2].splitlines() == [
            "- delete tenant old-promo (irreversible: its id and reputation history are lost)"
            "  [IRREVERSIBLE]",
            "- remove identity/script.example from tier-free",
        ]
        assert diffs[0].splitlines()[-1] == "! set reputation policy of tier-free to standard"

    def test_markdown_report_lengthens_the_fence_when_a_name_holds_backticks(
        self, plan: Plan
    ) -> None:
        identity = "dev```x@bold.example"
        markdown = render(with_extra_attach(plan, arn("identity", identity)), "markdown", full=True)
        diffs = [
            t.content
            for t in markdown_parser().parse(markdown)
            if t.type == "fence" and t.info == "diff"
        ]

        assert "````diff\n" in markdown
        assert len(diffs) == 3
        assert f"+ associate identity/{identity} with tier-free" in diffs[1].splitlines()


class TestMarkdownHelpers:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("*bold*", r"\*bold\*"),
            ("[x](http://evil)", r"\[x\](http&#58;//evil)"),
            ("see www.evil.example", "see www&#46;evil.example"),
            ("me@evil.example", "me&#64;evil.example"),
            ("a | b", r"a \| b"),
            ("<script>", r"\<script\>"),
            ("`code`", r"\`code\`"),
            ("snake_case ~strike~", r"snake\_case \~strike\~"),
            ("back\\slash", "back\\\\slash"),
            ("Müller & Söhne", "Müller &amp; Söhne"),
            ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
            ("two\n\n# lines\tand  spaces ", "two # lines and spaces"),
            (42, "42"),
        ],
    )
    def test_markdown_inline_escapes_syntax_and_folds_whitespace(
        self, value: object, expected: str
    ) -> None:
        assert markdown_inline(value) == expected

    @pytest.mark.parametrize("value", [MARKDOWN, SCRIPT, MULLER, "a\n\n- b", "<http://x.example>"])
    def test_markdown_inline_renders_as_the_text_itself(self, value: str) -> None:
        html = markdown_parser().render(markdown_inline(value))

        assert (
            html
            == "<p>"
            + " ".join(value.split())
            .replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            + "</p>\n"
        )

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("no backticks", "```"),
            ("one ` and two ``", "```"),
            ("a ``` fence", "````"),
            ("`````", "``````"),
            ("", "```"),
        ],
    )
    def test_fence_is_longer_than_any_backtick_run(self, text: str, expected: str) -> None:
        assert fence(text) == expected

    @given(st.text(alphabet="`ab ~\n", max_size=40))
    def test_fence_keeps_any_text_inside_one_code_block(self, text: str) -> None:
        mark = fence(text)
        tokens = markdown_parser().parse(f"{mark}\n{text}\n{mark}\n")

        assert [t.type for t in tokens] == ["fence"]
        assert tokens[0].content == f"{text}\n"

    @pytest.mark.parametrize(
        ("seconds", "expected"),
        [(0, "0s"), (7.4, "7s"), (59.6, "1m00s"), (65, "1m05s"), (3600, "1h00m"), (3725, "1h02m")],
    )
    def test_duration_reads_like_a_clock(self, seconds: float, expected: str) -> None:
        assert duration(seconds) == expected


CUSTOMER_ID = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30),
    st.builds(
        lambda name, body: f"Zq<{name}>{body}",
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    ),
)
"""Any customer id, or one that is tag-like markup starting with a marker no template holds."""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(CUSTOMER_ID, min_size=3, max_size=3, unique=True))
def test_render_escapes_any_customer_id_and_never_raises(ids: list[str]) -> None:
    script, markdown, muller = ids
    assume(tenant_name(script) not in FIXED_TENANTS)
    assume(all(i.startswith("Zq<") or "Zq" not in i for i in ids))
    plan = sealed(build_small_plan(script, markdown, muller))

    reports = {fmt: render(plan, fmt) for fmt in FORMATS}
    reports["markdown"] += render(plan, "markdown", full=True)

    html = reports["html"]
    assert json.loads(reports["json"])["cohorts"][1]["customers"] == sorted([markdown, script])
    assert Page(html).tags == BENIGN_TAGS
    for customer in ids:
        if customer.startswith("Zq<"):
            assert customer not in html
            assert customer not in reports["markdown"]
    assert html.count("<script") == 1
    rendered = markdown_parser().render(reports["markdown"])
    assert "<a " not in rendered
    assert "<script" not in rendered
    assert "<em>" not in rendered
    assert all(
        token in ("</details>\n", "<sub>", "</sub>") or token.startswith("<details><summary>")
        for token in html_tokens(reports["markdown"])
    )


@pytest.fixture(scope="module")
def plan_of_10000(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """A 10,000-customer plan from a synthetic inventory, as `benchmarks/bench_render` makes
    it (isolated: a tenant per customer), read back from its file."""
    folder = tmp_path_factory.mktemp("10k")
    inventory = folder / "inventory.json"
    inventory.write_text(as_inventory(realistic_account(10_000, 1)).to_json("t"))
    spec = folder / "spec.toml"
    spec.write_text('strategy = "isolated"\ntenant_quota = 1000000\n')
    made = make_plan(PlanRequest(spec, {}, inventory, AwsSettings())).plan
    return read_plan(plan_to_json(made))


class TestMarkdownSummaryAtScale:
    def test_markdown_summary_of_10000_customers_fits_a_pull_request_comment(
        self, plan_of_10000: Plan
    ) -> None:
        summary = render(plan_of_10000, "markdown")

        assert len(plan_of_10000.tenants) >= 10_000
        assert len(summary) <= SUMMARY_LIMIT
        assert plan_of_10000.checksum in summary
        assert "### The canary's tenants (3)" in summary
        assert len(render(plan_of_10000, "markdown", full=True)) > SUMMARY_LIMIT

    def test_markdown_summary_still_counts_every_irreversible_action_when_they_overflow(
        self, plan_of_10000: Plan
    ) -> None:
        deletes = [
            Step(DeleteTenant(f"gone-{n:05d}"), "canary", (), "no longer wanted", ())
            for n in range(3000)
        ]
        canary = plan_of_10000.cohorts[0]
        cohorts = (
            dataclasses.replace(
                canary, batches=(*canary.batches, tuple(s.action.key for s in deletes))
            ),
            *plan_of_10000.cohorts[1:],
        )
        plan = dataclasses.replace(
            plan_of_10000, steps=(*plan_of_10000.steps, *deletes), cohorts=cohorts
        )

        summary = render(plan, "markdown")

        assert len(summary) <= SUMMARY_LIMIT
        assert "### Irreversible actions (3000)" in summary
        assert "- … and 2900 more in the full report" in summary


GATED = with_gates(
    BENIGN,
    soak_seconds=1800,
    account_enforcement=False,
    bounce_rate_max=0.02,
    min_sends=50,
    window_seconds=7200,
)
"""The benign plan with a soak, the account guard off and the metric conditions on."""
METRIC_WORDS = (
    "metrics: over the 2h00m (window_seconds 7200) since its cohort finished, each tenant "
    "(or its cohort, summed) at bounce rate <= 2.00% (bounce_rate_max 0.02) and complaint "
    "rate <= 0.10% (complaint_rate_max 0.001); fewer than min_sends 50 sends is inconclusive"
)
SOAK_WORDS = "soak: 30m00s (soak_seconds 1800) after the last of them finished"
GUARD_WORDS = "account guard off (account_enforcement = false)"
ACCOUNT_WORDS = (
    "account rates: the account's Reputation.BounceRate <= 5.00% (account_bounce_rate_max "
    "0.05) and Reputation.ComplaintRate <= 0.10% (account_complaint_rate_max 0.001), their "
    "maximum since the earliest of them finished; no data points pass"
)


class TestGateConditions:
    def test_json_gives_every_cohort_after_the_first_its_gates_conditions(self) -> None:
        cohorts = {c["name"]: c["gate"] for c in json.loads(render(GATED, "json"))["cohorts"]}

        assert cohorts["canary"] is None
        assert cohorts["wave-1"]["after"] == {"first": "canary", "last": "canary", "cohorts": 1}
        assert cohorts["cleanup"]["after"] == {"first": "canary", "last": "wave-1", "cohorts": 2}
        gate = cohorts["wave-1"]
        assert (gate["soak_seconds"], gate["account_enforcement"]) == (1800.0, False)
        assert gate["allow_reinstated"] is True
        assert gate["metrics"] == {
            "bounce_rate_max": 0.02,
            "complaint_rate_max": 0.001,
            "min_sends": 50,
            "window_seconds": 7200.0,
            "count": 1,
            "interval_seconds": 300.0,
            "failure_limit": 0,
            "inconclusive_limit": 0,
            "account_bounce_rate_max": 0.05,
            "account_complaint_rate_max": 0.001,
            "tiers": {},
        }
        assert {SOAK_WORDS, GUARD_WORDS, METRIC_WORDS, ACCOUNT_WORDS} <= set(gate["checks"])
        assert not any(check.startswith("tiers:") for check in gate["checks"])
        assert not any(check.startswith("measurements:") for check in gate["checks"])

    def test_every_format_states_the_tiers_overrides_and_the_account_rates(self) -> None:
        tiered = with_gates(
            BENIGN,
            account_bounce_rate_max=0.04,
            tiers={"vip": {"bounce_rate_max": 0.01, "min_sends": 20}},
        )
        gate = json.loads(render(tiered, "json"))["cohorts"][1]["gate"]

        assert gate["metrics"]["tiers"] == {"vip": {"bounce_rate_max": 0.01, "min_sends": 20}}
        assert gate["metrics"]["account_bounce_rate_max"] == 0.04
        words = (
            "tiers: a tenant of a tier below is judged by its own conditions (tier vip: bounce "
            "rate <= 1.00%, min_sends 20), its cohort's sum by the strictest among its "
            "tenants' tiers"
        )
        assert words in gate["checks"]
        assert "Reputation.BounceRate <= 4.00% (account_bounce_rate_max 0.04)" in " ".join(
            gate["checks"]
        )
        assert f"    - {words}\n" in render(tiered, "text")
        items = re.findall(r"<li>(.*?)</li>", markdown_parser().render(render(tiered, "markdown")))
        assert words.replace("<", "&lt;") in items
        assert words in Page(render(tiered, "html")).text

    def test_json_says_metrics_null_when_the_spec_leaves_them_off(self) -> None:
        gate = json.loads(render(BENIGN, "json"))["cohorts"][1]["gate"]

        assert gate["metrics"] is None
        assert "metric conditions off (no [gates] metric keys)" in gate["checks"]
        assert "account guard: the account's EnforcementStatus is HEALTHY" in gate["checks"]

    def test_text_states_each_gated_cohorts_conditions_under_its_heading(self) -> None:
        text = render(GATED, "text")
        wave = text.split("== wave-1", 1)[1].split("\n== ", 1)[0]
        cleanup = text.split("== cleanup", 1)[1]

        assert "Health gate first" not in text.split("== wave-1", 1)[0]
        assert "  Health gate first, over the tenants of canary:" in wave
        assert "over the tenants of canary to wave-1 (2 cohorts):" in cleanup
        for words in (SOAK_WORDS, GUARD_WORDS, METRIC_WORDS):
            assert f"    - {words}\n" in wave

    @pytest.mark.parametrize("full", [False, True], ids=["summary", "full"])
    def test_markdown_states_the_gates_conditions(self, full: bool) -> None:
        html = markdown_parser().render(render(GATED, "markdown", full=full))
        items = re.findall(r"<li>(.*?)</li>", html)

        for words in (SOAK_WORDS, GUARD_WORDS, METRIC_WORDS):
            assert words.replace("<", "&lt;") in items

    def test_html_states_each_gated_cohorts_conditions_escaped(self) -> None:
        html = render(GATED, "html")
        page = Page(html)
        wave = html.split('<section id="cohort-wave-1">', 1)[1].split("</section>", 1)[0]

        assert "over the tenants of canary:" in "".join(Page(wave).text)
        assert METRIC_WORDS in page.text
        assert "bounce rate &lt;= 2.00%" in wave and "bounce rate <=" not in html
        assert "canary to wave-1 (2 cohorts)" in page.text

    def test_a_view_of_one_cohort_still_says_which_cohorts_gate_it(self) -> None:
        document = json.loads(render(GATED, "json", part=Part(cohort="wave-1")))

        (cohort,) = document["cohorts"]
        assert cohort["gate"]["after"] == {"first": "canary", "last": "canary", "cohorts": 1}


def test_a_gate_of_several_measurements_says_how_many_and_its_limits() -> None:
    gates = GateSpec(metrics=True, count=3, interval_seconds=600, failure_limit=1)

    checks = gate_checks(gates)

    assert (
        "measurements: 3, 10m00s apart (count, interval_seconds); more than 1 failed "
        "(failure_limit) fail it, more than 0 inconclusive (inconclusive_limit) stop it"
    ) in checks
