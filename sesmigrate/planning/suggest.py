""" "Did you mean": the known name closest to one that matches nothing.

Pure. Used wherever a name the user wrote (a spec key or value, a tier, a tenant, a
strategy) is checked against the names that exist, so every such error offers the same
kind of hint.
"""

import difflib
from collections.abc import Iterable

CUTOFF = 0.75
"""difflib's similarity ratio below which a known name is no hint at all."""


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like `name`, if one is close enough to be a likely typo."""
    matches = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=CUTOFF)
    return matches[0] if matches else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'vip'?)`, or nothing when no known name is close."""
    match = closest(name, known)
    return f" (did you mean {match!r}?)" if match is not None else ""
