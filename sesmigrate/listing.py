"""The first few of many names in one line, the rest counted: one way for every message."""

from collections.abc import Sequence


def first_few(items: Sequence[str], shown: int, sep: str = ", ", more_sep: str = " ") -> str:
    """`a, b and 3 more`: the first `shown` items joined by `sep`, then how many are left."""
    head = sep.join(items[:shown])
    return head + (f"{more_sep}and {len(items) - shown} more" if len(items) > shown else "")
