"""The plain-answer fast path reads exactly what DRF's field-by-field validation reads.

`AnswerListSerializer` takes answers that every rule passes unchanged directly and sends
anything else through DRF; for any list of answers the two must agree, value for value,
and an answer DRF refuses must never be taken by the fast path.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from audits.api.serializers import AnswerInputSerializer, AnswerListSerializer, _plain_answer
from scoring.types import MAX_ITEMS

texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="ascii"), max_size=120),
    st.sampled_from(["", " ", "greeted", " greeted", "a\x00b", "x" * 100, "x" * 101]),
)
values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)
answers = st.dictionaries(
    st.sampled_from(["item", "value", "na", "comment", "extra"]),
    st.one_of(texts, values, st.lists(values, max_size=2)),
    max_size=5,
)


def _by_drf(data):
    reference = serializers.ListSerializer(
        child=AnswerInputSerializer(), allow_empty=True, max_length=MAX_ITEMS
    )
    try:
        return True, [dict(row) for row in reference.run_validation(data)]
    except serializers.ValidationError:
        return False, None


@settings(max_examples=400, deadline=None)
@given(st.lists(answers, max_size=4))
def test_the_fast_path_agrees_with_drf(data):
    fast = AnswerInputSerializer(many=True, allow_empty=True, max_length=MAX_ITEMS)
    assert isinstance(fast, AnswerListSerializer)
    ok, expected = _by_drf(data)
    try:
        got = [dict(row) for row in fast.run_validation(data)]
    except serializers.ValidationError:
        assert not ok
        return
    assert ok and got == expected


@settings(max_examples=400, deadline=None)
@given(answers)
def test_an_answer_drf_refuses_never_takes_the_fast_path(answer):
    if _plain_answer(answer) is not None:
        ok, expected = _by_drf([answer])
        assert ok and expected == [_plain_answer(answer)]


def test_plain_answers_do_take_the_fast_path():
    plain = {"item": "greeted", "value": 4, "na": False, "comment": "Warm welcome."}
    assert _plain_answer(plain) == plain
    assert _plain_answer({"item": "greeted"}) == {
        "item": "greeted",
        "value": None,
        "na": False,
        "comment": "",
    }
    for other in (
        {"item": "café"},
        {"item": " greeted"},
        {"item": "x", "na": 1},
        {"item": "x", "y": 1},
    ):
        assert _plain_answer(other) is None
