"""Paging by last key: stable order, no repeats, bad tokens and sizes refused."""

import pytest

from sesmigrate.emulator.exceptions import BadRequestException
from sesmigrate.emulator.paging import page


def test_page_walks_all_items_in_key_order() -> None:
    items = ["d", "a", "c", "b", "e"]
    seen, token = [], None

    while True:
        chunk, token = page(items, str, token, 2, default_size=10, max_size=10)
        seen += chunk
        if token is None:
            break

    assert seen == ["a", "b", "c", "d", "e"]


def test_page_resumes_after_the_last_key_even_if_it_was_deleted() -> None:
    first, token = page(["a", "b", "c", "d"], str, None, 2, default_size=10, max_size=10)

    rest, _ = page(["a", "c", "d"], str, token, 2, default_size=10, max_size=10)

    assert first == ["a", "b"]
    assert rest == ["c", "d"]


def test_page_uses_the_default_size_and_gives_no_token_on_the_last_page() -> None:
    chunk, token = page(list("abc"), str, None, None, default_size=3, max_size=10)

    assert chunk == ["a", "b", "c"]
    assert token is None


@pytest.mark.parametrize("size", [0, 11, -1])
def test_page_refuses_a_size_out_of_range(size: int) -> None:
    with pytest.raises(BadRequestException, match="PageSize"):
        page(["a"], str, None, size, default_size=5, max_size=10)


@pytest.mark.parametrize("token", ["%%%", "bm90LW91cnM=", "\u00e9"])
def test_page_refuses_a_token_it_did_not_make(token: str) -> None:
    with pytest.raises(BadRequestException, match="NextToken"):
        page(["a"], str, token, 1, default_size=5, max_size=10)
