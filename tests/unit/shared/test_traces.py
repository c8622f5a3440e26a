"""Traces carry no personal data (issue 9, item 3): no handler's response, no exception's message or stack."""

from __future__ import annotations

import pytest

from shared.observability import observed, tracer
from tests.helpers import FakeContext
from tests.trace_recorder import recording

pytestmark = pytest.mark.unit

PAGE = "<p>Your answers: resident@example.org, 07700 900123</p>"


class ResidentError(ValueError):
    pass


@observed
def answers_page(event, context):
    return {"statusCode": 200, "body": PAGE, "headers": {"set-cookie": "draft=secret-draft-token"}}


@observed
def failing(event, context):
    raise ResidentError("could not save resident@example.org")


@tracer.capture_method
def lookup(postcode: str) -> str:
    if postcode == "bad":
        raise ResidentError(f"no addresses for {postcode} at 1 High Street")
    return f"1 High Street, {postcode}"


def _everything_recorded(provider) -> str:
    return repr([(s.name, s.annotations, s.metadata, s.exceptions) for s in provider.subsegments])


def test_a_handlers_response_is_not_put_in_the_trace():
    with recording() as provider:
        response = answers_page({}, FakeContext())
    assert response["body"] == PAGE
    [subsegment] = provider.subsegments
    assert subsegment.name == "## answers_page"
    assert subsegment.metadata == []
    assert "resident@example.org" not in _everything_recorded(provider)
    assert "secret-draft-token" not in _everything_recorded(provider)


def test_a_handlers_exception_is_raised_but_only_its_type_is_traced():
    with recording() as provider, pytest.raises(ResidentError, match=r"could not save resident@example\.org"):
        failing({}, FakeContext())
    [subsegment] = provider.subsegments
    assert subsegment.exceptions == []
    assert subsegment.metadata == []
    assert subsegment.fault is True
    assert subsegment.annotations["Error"] == "ResidentError"
    assert "resident@example.org" not in _everything_recorded(provider)


def test_a_traced_methods_result_and_exception_are_not_put_in_the_trace():
    with recording() as provider:
        assert lookup("ME15 6JQ") == "1 High Street, ME15 6JQ"
        with pytest.raises(ResidentError):
            lookup("bad")
    assert [s.name.rsplit(".", 1)[-1] for s in provider.subsegments] == ["lookup", "lookup"]
    assert all(s.metadata == [] and s.exceptions == [] for s in provider.subsegments)
    assert "High Street" not in _everything_recorded(provider)
