"""Reading untrusted JSON documents (plans, inventories): every failure is one error line.

A plan or inventory file may be edited, truncated or hostile. `load` turns any way the
JSON parser can fail (syntax, absurd nesting, huge numbers) into `ValueError`; the `Fields`
accessors check each value's type as it is read, so the reader can catch one exception
type and say one line.
"""

from __future__ import annotations

import json
import math
from typing import Any


def load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not valid JSON ({type(exc).__name__})") from None


class Fields:
    """Typed reads from one JSON object; a missing or mistyped value raises ValueError."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be an object")
        self.data, self.where = data, where

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise ValueError(f"{self.where} has no {key!r}")
        return self.data[key]

    def str(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise ValueError(f"{self.where}.{key} must be a string")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{self.where}.{key} must be a string or null")
        return value

    def strs(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{self.where}.{key} must be a list of strings")
        return tuple(value)

    def list(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            raise ValueError(f"{self.where}.{key} must be a list")
        return value

    def object(self, key: str) -> Fields:
        return Fields(self._get(key), f"{self.where}.{key}")

    def int(self, key: str) -> int:
        value = self._get(key)
        if type(value) is not int or value < 0:
            raise ValueError(f"{self.where}.{key} must be a whole number >= 0")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(f"{self.where}.{key} must be a finite number >= 0")
        return float(value)

    def numbers(self, key: str) -> dict[str, float]:
        inner = self.object(key)
        return {k: inner.number(k) for k in inner.data}
