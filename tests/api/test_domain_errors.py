"""Touchpoint's own errors map to HTTP in one place, in the one error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from audits import errors
from audits.api.schema import ERROR_CODES


def _raising(error: Exception):
    class Raises(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            raise error

    return Raises.as_view()


def _answer(error: Exception):
    response = _raising(error)(APIRequestFactory().get("/x"))
    response.render()
    return response


@pytest.mark.parametrize(
    ("error", "status", "code", "attr"),
    [
        (errors.Conflict("Already stored."), 409, "conflict", None),
        (errors.NotFound(), 404, "not_found", None),
        (errors.Forbidden(), 403, "permission_denied", None),
        (errors.PayloadTooLarge("Too big.", attr="image"), 413, "too_large", "image"),
        (errors.UnsupportedMedia(attr="image"), 415, "unsupported_media_type", "image"),
        (errors.InvalidInput.field("image", "Corrupt.", code="corrupt"), 400, "corrupt", "image"),
    ],
)
def test_each_error_has_its_status_code_and_field(error, status, code, attr):
    response = _answer(error)
    assert response.status_code == status
    body = response.data
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert body["errors"] == [{"code": code, "detail": error.message, "attr": attr}]
    assert code in ERROR_CODES


def test_invalid_input_names_every_field_at_once():
    error = errors.InvalidInput(
        {"answers.greeted": ["Expected yes or no."], "finished_at": "Before the start."}
    )
    body = _answer(error).data
    assert [(e["attr"], e["detail"]) for e in body["errors"]] == [
        ("answers.greeted", "Expected yes or no."),
        ("finished_at", "Before the start."),
    ]
    assert error.as_dict() == {
        "answers.greeted": ["Expected yes or no."],
        "finished_at": ["Before the start."],
    }


def test_invalid_input_about_no_one_field_is_reported_as_non_field_errors():
    body = _answer(errors.InvalidInput({"": ["Expected a JSON object."]})).data
    assert body["errors"][0]["attr"] == "non_field_errors"


def test_invalid_input_needs_a_problem():
    with pytest.raises(ValueError):
        errors.InvalidInput({})
