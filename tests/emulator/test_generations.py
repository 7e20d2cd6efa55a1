"""Both SES v2 wire generations: the older GET-with-query lists and the newer POST-with-body.

The older client is botocore itself, built from the installed model with the table's older
forms put back: it serialises and signs exactly as a botocore of that generation does, so
the emulator is proved against the wire, not against a request this test wrote by hand.
"""

import copy
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.loaders import Loader

from sesmigrate.emulator import generations
from tests.conftest import REGION, Emulator

SERVICE = "sesv2"


def installed_model() -> dict[str, Any]:
    loader = Loader()
    return loader.load_service_model(SERVICE, "service-2")


def test_installed_model_is_one_generation_of_the_vendored_table() -> None:
    model = installed_model()
    table = generations.table()["operations"]

    seen = {
        name: [
            generation
            for generation, form in by_generation.items()
            if generations.wire_form(model, name) == form
        ]
        for name, by_generation in table.items()
    }

    assert all(seen.values()), f"the installed model drifted from wire_generations.json: {seen}"
    assert len({tuple(found) for found in seen.values()}) == 1, seen


def test_derive_lists_only_operations_whose_method_or_path_moved() -> None:
    newer = installed_model()
    older = copy.deepcopy(newer)
    older["operations"]["ListEmailIdentities"]["http"] = {
        "method": "GET",
        "requestUri": "/v2/email/identities",
    }

    derived = generations.derive(older, newer)["operations"]

    assert list(derived) == ["ListEmailIdentities"]
    assert derived["ListEmailIdentities"]["older"]["method"] == "GET"


def older_generation_client(tmp_path: Path, endpoint_url: str | None) -> Any:
    """A botocore client of the older generation: the installed model with the older forms."""
    model = installed_model()
    for name, by_generation in generations.table()["operations"].items():
        form = by_generation["older"]
        operation = model["operations"][name]
        operation["http"] = {"method": form["method"], "requestUri": form["path"]}
        shape = model["shapes"][operation["input"]["shape"]]
        bound = {member: query_name for query_name, member, _ in form["query"]}
        shape["members"] = {
            member: {**spec, "location": "querystring", "locationName": bound[member]}
            for member, spec in shape["members"].items()
            if member in bound
        }
    folder = tmp_path / "models" / SERVICE / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path / "models"))
    return session.create_client(
        SERVICE,
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_older_generation_client_lists_identities_and_configuration_sets_by_get(
    emulator: Emulator, tmp_path: Path
) -> None:
    ses = emulator.ses
    for name in ("b.example.com", "a.example.com", "c@example.org"):
        ses.create_email_identity(EmailIdentity=name)
    ses.create_configuration_set(ConfigurationSetName="cs-one")
    ses.create_configuration_set(ConfigurationSetName="cs-two")
    older = older_generation_client(tmp_path, emulator.endpoint_url)
    sent: list[str] = []
    older.meta.events.register(
        "before-send.sesv2.*", lambda request, **_: sent.append(request.method)
    )

    first = older.list_email_identities(PageSize=2)
    second = older.list_email_identities(PageSize=2, NextToken=first["NextToken"])
    sets = older.list_configuration_sets()

    assert sent == ["GET", "GET", "GET"]
    assert [i["IdentityName"] for i in first["EmailIdentities"]] == [
        "a.example.com",
        "b.example.com",
    ]
    assert [i["IdentityName"] for i in second["EmailIdentities"]] == ["c@example.org"]
    assert "NextToken" not in second
    assert sets["ConfigurationSets"] == ["cs-one", "cs-two"]


def test_newer_generation_lists_by_post_with_the_filter_honoured(emulator: Emulator) -> None:
    ses = emulator.ses
    for name in ("acme.example.com", "globex.example.com", "ops@acme.example.com"):
        ses.create_email_identity(EmailIdentity=name)
    ses.create_configuration_set(ConfigurationSetName="acme-pro")
    ses.create_configuration_set(ConfigurationSetName="globex-pro")

    by_name = ses.list_email_identities(Filter={"IDENTITY_NAME_CONTAINS": "acme"})
    by_type = ses.list_email_identities(Filter={"IDENTITY_TYPE": "EMAIL_ADDRESS"})
    sets = ses.list_configuration_sets(Filter={"CONFIGURATION_SET_NAME_CONTAINS": "globex"})

    assert [i["IdentityName"] for i in by_name["EmailIdentities"]] == [
        "acme.example.com",
        "ops@acme.example.com",
    ]
    assert [i["IdentityName"] for i in by_type["EmailIdentities"]] == ["ops@acme.example.com"]
    assert sets["ConfigurationSets"] == ["globex-pro"]


def test_an_unknown_list_filter_is_a_bad_request(emulator: Emulator) -> None:
    with pytest.raises(emulator.ses.exceptions.BadRequestException):
        emulator.ses.list_email_identities(Filter={"IDENTITY_TYPE": "PLANET"})
