"""The SES v2 wire generations the emulator answers, whatever botocore is installed beside it.

botocore 1.44 moved ListEmailIdentities and ListConfigurationSets from `GET` with a query
string to `POST` with a JSON body (which adds `Filter`). moto routes by the local model, so
without this table the emulator would answer only the generation installed beside it, and
every older SDK, AWS CLI v1 or generated client would get a 404. AWS answers both.

`wire_generations.json` is generated from two botocore SES v2 models, the oldest release
pyproject.toml allows and a newer one, by this module's `main`:

    python -m sesmigrate.emulator.generations \
        OLDER/service-2.json.gz NEWER/service-2.json.gz "botocore 1.43.18" "botocore 1.44.8" \
        > sesmigrate/emulator/wire_generations.json

It lists each operation present in both whose method or path differs, with each
generation's form: method, path, and the input members bound to the query string. A test
checks that the installed model matches one generation of the table, so a new botocore
that moves another operation fails the suite instead of a user's client.
"""

import gzip
import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("wire_generations.json")
GENERATIONS = ("older", "newer")


@dataclass(frozen=True)
class WireForm:
    """How one generation of the model sends one operation."""

    operation: str
    generation: str
    method: str
    path: str
    query: tuple[tuple[str, str, str], ...]
    """(query-string name, input member, member's shape type) for each query-bound member."""

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and _path_regex(self.path).fullmatch(path) is not None

    def params_from_query(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """The operation's input members carried by `query`, typed as the model says."""
        params: dict[str, Any] = {}
        for name, member, shape_type in self.query:
            if query.get(name):
                value = query[name][0]
                params[member] = int(value) if shape_type in ("integer", "long") else value
        return params


@cache
def _path_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template.split("?")[0])
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts if part)
    )


def wire_form(model: dict[str, Any], operation: str) -> dict[str, Any]:
    """The JSON form of one operation's wire binding in `model` (a service-2 document)."""
    spec = model["operations"][operation]
    query = []
    if "input" in spec:
        shapes = model["shapes"]
        members = shapes[spec["input"]["shape"]].get("members", {})
        for member, binding in sorted(members.items()):
            if binding.get("location") == "querystring":
                name = binding.get("locationName", member)
                query.append([name, member, shapes[binding["shape"]]["type"]])
    return {
        "method": spec["http"]["method"],
        "path": spec["http"]["requestUri"],
        "query": query,
    }


def derive(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """The table: every operation of both models whose method or path differs."""
    operations = {}
    for name in sorted(set(older["operations"]) & set(newer["operations"])):
        forms = {"older": wire_form(older, name), "newer": wire_form(newer, name)}
        if (forms["older"]["method"], forms["older"]["path"]) != (
            forms["newer"]["method"],
            forms["newer"]["path"],
        ):
            operations[name] = forms
    return {"operations": operations}


@cache
def table() -> dict[str, Any]:
    return json.loads(TABLE_PATH.read_text())


@cache
def forms() -> tuple[WireForm, ...]:
    """Every generation's form of every operation in the vendored table."""
    return tuple(
        WireForm(
            operation,
            generation,
            spec["method"],
            spec["path"],
            tuple(tuple(item) for item in spec["query"]),  # type: ignore[misc]
        )
        for operation, by_generation in table()["operations"].items()
        for generation, spec in by_generation.items()
    )


def match(method: str, path: str) -> WireForm | None:
    """The table's form that a request's method and path are in, if any."""
    return next((form for form in forms() if form.matches(method, path)), None)


def _load(path: str) -> dict[str, Any]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as handle:
        return json.load(handle)


def main(argv: list[str]) -> int:
    """Write the table derived from two service-2 models (and their labels) to stdout."""
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    older, newer = (_load(path) for path in argv[:2])
    document = {
        "generated_by": "python -m sesmigrate.emulator.generations OLDER NEWER LABELS",
        "models": {"older": argv[2], "newer": argv[3]},
        **derive(older, newer),
    }
    print(json.dumps(document, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
