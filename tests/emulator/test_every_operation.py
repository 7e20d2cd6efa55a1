"""Every operation of the installed SES v2 model answers: it works, or a JSON error naming it.

An HTML 500 is what moto gives an operation it lacks, and every SDK retries a 500 (the
Terraform provider for minutes), so the walk below calls each operation with the smallest
input the model requires and fails on any 500 or on an answer that is not JSON.
"""

import datetime
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import Shape

from tests.conftest import Emulator


def minimal(shape: Shape) -> Any:
    """The smallest value of `shape` the model allows (required members only)."""
    if shape.type_name == "structure":
        return {name: minimal(shape.members[name]) for name in shape.required_members}
    if shape.type_name == "list":
        return [minimal(shape.member)]
    if shape.type_name == "map":
        return {}
    if shape.type_name == "string":
        if shape.enum:
            return shape.enum[0]
        return "x" * max(1, shape.metadata.get("min", 1))
    if shape.type_name in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if shape.type_name in ("double", "float"):
        return 1.0
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if shape.type_name == "blob":
        return b"x"
    raise AssertionError(f"no minimal value for {shape.type_name}")


def test_every_model_operation_answers_without_a_500(emulator: Emulator) -> None:
    ses = emulator.client("sesv2", parameter_validation=False, retries={"total_max_attempts": 1})
    model = ses.meta.service_model
    failures = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        params = minimal(operation.input_shape) if operation.input_shape else {}
        try:
            answer = getattr(ses, xform_name(name))(**params)["ResponseMetadata"]
        except ClientError as error:
            answer = error.response["ResponseMetadata"]
        status = answer["HTTPStatusCode"]
        content_type = answer["HTTPHeaders"].get("content-type", "")
        if status >= 500 or "json" not in content_type:
            failures.append((name, status, content_type))
    assert failures == []


@pytest.mark.parametrize("operation", ["CreateExportJob", "GetDeliverabilityDashboardOptions"])
def test_an_operation_the_emulator_lacks_answers_a_bad_request_naming_it(
    emulator: Emulator, operation: str
) -> None:
    ses = emulator.client("sesv2", parameter_validation=False, retries={"total_max_attempts": 1})
    shape = ses.meta.service_model.operation_model(operation).input_shape

    with pytest.raises(ClientError) as raised:
        getattr(ses, xform_name(operation))(**minimal(shape))

    assert raised.value.response["Error"]["Code"] == "BadRequestException"
    assert operation in raised.value.response["Error"]["Message"]
    assert raised.value.response["ResponseMetadata"]["RequestId"]
