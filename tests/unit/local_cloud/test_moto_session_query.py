"""The local cloud's moto session runs with the partitioned Query (local/fast_query.py) and puts moto's back."""

from __future__ import annotations

import pytest

from local import fast_query
from local.moto_session import MotoSession

pytestmark = pytest.mark.unit


def test_the_moto_session_installs_the_partitioned_query_and_removes_it_when_stopped():
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    own_query, own_answer = Table.query, DynamoHandler.query
    session = MotoSession()
    session.start()
    try:
        assert session.fast_query
        assert fast_query.installed()
        assert Table.query is fast_query.query
        assert DynamoHandler.query is not own_answer
    finally:
        session.stop()
    assert not fast_query.installed()
    assert Table.query is own_query
    assert DynamoHandler.query is own_answer
