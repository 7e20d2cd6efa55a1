"""NextToken/PageSize paging for the emulator's list operations.

A token names the last key returned, not an offset, so that items created or deleted
between two pages neither repeat nor vanish from the pages still to come, as a client
walking a live account would expect. Keys are the items' sort keys (names), so pages
come in a stable order.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from .exceptions import BadRequestException

T = TypeVar("T")

_PREFIX = "sesmigrate-emulator:"


def page(
    items: Sequence[T],
    key: Callable[[T], str],
    next_token: str | None,
    page_size: int | None,
    *,
    default_size: int,
    max_size: int,
) -> tuple[list[T], str | None]:
    """One page of `items` (sorted by `key`) and the token of the next page, if any."""
    size = default_size if page_size is None else int(page_size)
    if not 1 <= size <= max_size:
        raise BadRequestException(f"PageSize must be between 1 and {max_size}, got {size}.")
    ordered = sorted(items, key=key)
    if next_token:
        after = _decode(next_token)
        ordered = [item for item in ordered if key(item) > after]
    chunk = ordered[:size]
    token = _encode(key(chunk[-1])) if len(ordered) > size else None
    return chunk, token


def _encode(last_key: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + last_key).encode()).decode()


def _decode(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequestException("The NextToken is not valid.") from None
    if not text.startswith(_PREFIX):
        raise BadRequestException("The NextToken is not valid.")
    return text[len(_PREFIX) :]
