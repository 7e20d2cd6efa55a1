"""Tenant names: valid, deterministic, collision-free, readable, and shaped by the template."""

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from sesmigrate.planning.naming import (
    LONG_HASH_LENGTH,
    MAX_LENGTH,
    TenantNameError,
    check_template,
    short_hash,
    tenant_name,
)

VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
HASH = re.compile(r"-[0-9a-f]{6}\Z")

# Any unicode text, plus ids already in the readable alphabet (the path without a hash),
# plus long ids (the truncating path).
customer_ids = st.one_of(
    st.text(min_size=1),
    st.from_regex(r"[a-z0-9_-]{1,80}", fullmatch=True),
    st.text(min_size=60, max_size=300),
)
# Each part at most 25, so prefix and suffix together stay within the 50 a template may add.
fixed_parts = st.from_regex(r"[A-Za-z0-9_-]{0,25}", fullmatch=True)


@st.composite
def templates(draw: st.DrawFn) -> str:
    prefix, suffix = draw(fixed_parts), draw(fixed_parts)
    return f"{prefix}{{customer}}{suffix}"


@given(customer_ids)
@example("acme.io")
@example("日本")
@example("a" * 200)
def test_tenant_name_is_valid_for_any_customer_id(customer_id: str) -> None:
    assert VALID.match(tenant_name(customer_id))


@given(customer_ids)
def test_tenant_name_is_the_same_for_the_same_id(customer_id: str) -> None:
    copy = customer_id.encode("utf-8").decode("utf-8")

    assert tenant_name(customer_id) == tenant_name(copy)


def test_tenant_name_is_the_same_in_every_process() -> None:
    # sha256, not hash(): a re-plan in another process must give the same names
    assert tenant_name("acme.io") == "acme-io-187a3a"
    assert tenant_name("日本") == "t-cf2abf0c5be3"


@given(customer_ids)
def test_tenant_name_does_not_rely_on_case(customer_id: str) -> None:
    name = tenant_name(customer_id)

    assert name == name.lower()


@given(customer_ids, customer_ids)
@example("acme.io", "acme-io")
@example("acme-io", "acme-io-" + short_hash("acme.io"))
@example("a" * 100, "a" * 57 + "-" + short_hash("a" * 100))
def test_tenant_name_differs_for_distinct_ids(first: str, second: str) -> None:
    assume(first != second)

    assert tenant_name(first) != tenant_name(second)


def test_tenant_name_differs_for_ids_with_the_same_readable_form() -> None:
    ids = ["acme.io", "acme-io", "ACME-io", "acme_io", "Acme.IO", "acme io"]

    names = [tenant_name(customer_id) for customer_id in ids]

    assert len({name.lower() for name in names}) == len(ids)


def test_tenant_name_differs_for_distinct_ids_without_ascii() -> None:
    assert tenant_name("不串") != tenant_name("专乄")


def test_tenant_name_differs_for_long_ids_with_a_common_prefix() -> None:
    prefix = "customer-with-a-rather-long-identifier-from-the-billing-system-"

    assert tenant_name(prefix + "1639") != tenant_name(prefix + "3561")


def test_tenant_name_keeps_an_id_that_is_already_readable() -> None:
    assert tenant_name("acme-io") == "acme-io"


def test_tenant_name_appends_the_hash_when_the_readable_form_differs() -> None:
    name = tenant_name("acme.io")

    assert name == f"acme-io-{short_hash('acme.io')}"
    assert re.fullmatch(r"acme-io-[0-9a-f]{6}", name)


def test_tenant_name_transliterates_accented_letters() -> None:
    name = tenant_name("Müller & Söhne GmbH")

    assert name.startswith("muller-sohne-gmbh-")
    assert HASH.search(name)


def test_tenant_name_appends_a_hash_when_the_id_looks_hashed() -> None:
    assert tenant_name("acme-3f9c1a") == f"acme-3f9c1a-{short_hash('acme-3f9c1a')}"


def test_tenant_name_truncates_a_long_id_and_ends_with_its_hash() -> None:
    customer_id = "x" * 200

    name = tenant_name(customer_id)

    assert len(name) <= MAX_LENGTH
    assert name.endswith("-" + short_hash(customer_id, LONG_HASH_LENGTH))


def test_tenant_name_uses_t_and_a_long_hash_for_an_id_without_ascii() -> None:
    assert tenant_name("日本") == f"t-{short_hash('日本', LONG_HASH_LENGTH)}"


def test_tenant_name_refuses_an_empty_id() -> None:
    with pytest.raises(TenantNameError, match="a customer id must not be empty"):
        tenant_name("")


def test_tenant_name_applies_the_template_prefix() -> None:
    assert tenant_name("acme-io", "ses-{customer}") == "ses-acme-io"
    assert tenant_name("acme.io", "ses-{customer}") == f"ses-acme-io-{short_hash('acme.io')}"


@given(customer_ids, templates())
@example("a" * 200, "p" * 25 + "{customer}" + "s" * 25)
def test_tenant_name_fits_64_characters_with_any_valid_template(
    customer_id: str, template: str
) -> None:
    check_template(template)
    prefix, _, suffix = template.partition("{customer}")

    name = tenant_name(customer_id, template)

    assert VALID.match(name)
    assert name.startswith(prefix)
    assert name.endswith(suffix)


@given(customer_ids, customer_ids, templates())
def test_tenant_name_differs_for_distinct_ids_with_a_template(
    first: str, second: str, template: str
) -> None:
    assume(first != second)

    assert tenant_name(first, template) != tenant_name(second, template)


def test_check_template_accepts_a_prefix_and_a_suffix() -> None:
    assert check_template("ses-{customer}_prod") == "ses-{customer}_prod"


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("ses-tenant", "must contain {customer} exactly once"),
        ("{customer}-{customer}", "must contain {customer} exactly once"),
        ("ses.{customer}", "may add only letters, digits, '-' and '_'"),
        ("ses {customer}", "may add only letters, digits, '-' and '_'"),
        ("x" * 57 + "{customer}", "leaves no room for the name"),
    ],
)
def test_check_template_rejects_a_template_that_cannot_give_valid_names(
    template: str, words: str
) -> None:
    with pytest.raises(TenantNameError) as caught:
        check_template(template)

    assert str(caught.value).startswith(f"tenant name template {template!r} {words}")


@pytest.mark.parametrize("template", ["ses-tenant", "{customer}-{customer}", "{tenant}-ses"])
def test_template_error_lists_the_placeholders(template: str) -> None:
    with pytest.raises(TenantNameError) as caught:
        check_template(template)

    assert str(caught.value).endswith(
        "the placeholders are: {customer} (the customer id, made a valid name; for a shared "
        "tenant tier-NAME or group-NAME)"
    )


def test_template_error_names_an_unknown_placeholder_with_the_closest_one() -> None:
    with pytest.raises(TenantNameError) as caught:
        check_template("ses-{custmer}")

    assert "has the unknown placeholder {custmer} (did you mean '{customer}'?)" in str(caught.value)


def test_check_template_accepts_the_longest_fixed_part_that_leaves_room() -> None:
    template = "x" * (MAX_LENGTH - LONG_HASH_LENGTH - 2) + "{customer}"

    assert check_template(template) == template
    assert len(tenant_name("a" * 100, template)) == MAX_LENGTH
