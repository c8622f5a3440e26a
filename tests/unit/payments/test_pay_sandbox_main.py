"""`python -m local.sandbox.pay` prints what a developer needs to call the local Pay with curl."""

from __future__ import annotations

import io
import re

import pytest

from local.sandbox.pay.__main__ import main

pytestmark = pytest.mark.unit


def test_it_prints_the_url_the_key_in_full_the_webhook_secret_and_the_cards():
    out = io.StringIO()
    ticks: list[float] = []

    def until(seconds: float) -> bool:
        ticks.append(seconds)
        return len(ticks) > 1  # one round of advance, then stop

    assert main(["--port", "0", "--webhook", "http://127.0.0.1:9/hook"], out=out, until=until) == 0
    text = out.getvalue()
    assert re.search(r"Local GOV\.UK Pay\s+http://127\.0\.0\.1:\d+/sandbox/pay", text)
    assert re.search(r"API key\s+api_test_[a-z0-9]{58}\n", text)
    assert re.search(r"Webhook signing\s+webhook_test_[0-9a-f]{40}", text)
    assert "curl -s http://127.0.0.1:" in text
    assert "4000002500003155" in text
    assert ticks == [5.0, 5.0]
