"""The Amazon SES adapter (email only) on moto: the adapter seam is real."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from notifications.adapters import LookupUnsupported, Outgoing, PermanentFailure, RateLimited
from notifications.adapters.ses import SesAdapter

pytestmark = pytest.mark.unit

MESSAGE = Outgoing(
    message_id="m-1",
    channel="email",
    template="acknowledgement",
    recipient="resident@example.org",
    subject="S",
    body="B",
)


def test_an_email_goes_through_ses(cloud):
    ses = boto3.client("sesv2")
    ses.create_email_identity(EmailIdentity="council@borough.example")
    adapter = SesAdapter("council@borough.example", client=ses)
    assert adapter.send_email(MESSAGE)
    with pytest.raises(LookupUnsupported):
        adapter.find_sent("m-1")
    with pytest.raises(PermanentFailure, match="channel-not-supported"):
        adapter.send_sms(MESSAGE)


@pytest.mark.parametrize(
    ("code", "error"), [("TooManyRequestsException", RateLimited), ("MessageRejected", PermanentFailure)]
)
def test_ses_errors_map_onto_the_seam(code, error):
    client = boto3.client("sesv2", region_name="eu-west-2")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code=code, http_status_code=400)
        with pytest.raises(error):
            SesAdapter("council@borough.example", client=client).send_email(MESSAGE)
