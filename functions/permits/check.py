"""`GET /api/v1/permits/check?vrm=&zone=` and `POST /api/v1/permits/check` ({"vrm", "zone"}): the enforcement
look-up for civil enforcement officers' devices (`permits.enforcement`).

The HTTP API's JWT authorizer admits only an access token of the devices' user pool carrying the `permits/check`
scope (OAuth 2.0 client credentials); the function checks the scope again and takes the device's client id from
the token. Every answered look-up is audited (`permits.lookups_audit`) before it is returned: a look-up that cannot
be audited is not answered (503). Bad input (no or an invalid mark, an unknown zone) is 400 and audits nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response

from permits import enforcement, lookups_audit
from permits.devices import device_of
from permits.settings import check_settings
from permits.store import PermitsStore
from permits.vrm import InvalidVrm
from permits.zones import load_zones
from shared import aws
from shared.api import http_handler, json_response, make_resolver, read_json_object
from shared.errors import BadRequest, DependencyFailed
from shared.observability import logger

app = make_resolver(check_settings)


def _device() -> str:
    return device_of(app.current_event.raw_event)


def _answer(vrm: Any, zone: Any) -> Response[str]:
    device = _device()
    if not isinstance(vrm, str) or not vrm.strip():
        raise BadRequest("Give the vehicle's registration mark as vrm.")
    if not isinstance(zone, str) or not zone.strip():
        raise BadRequest("Give the zone's code as zone.")
    configured = check_settings()
    try:
        answer = enforcement.check(
            PermitsStore(aws.table(configured.permits_table)), load_zones(), vrm, zone.strip(), datetime.now(UTC)
        )
    except InvalidVrm as error:
        raise BadRequest("That is not a UK registration mark.") from error
    except enforcement.UnknownZone as error:
        raise BadRequest(str(error)) from error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        lookup_id = lookups_audit.record(aws.table(configured.lookups_table), device, answer)
    except (BotoCoreError, ClientError) as error:
        raise DependencyFailed("The look-up could not be audited, so it is not answered; try again.") from error
    logger.info("Permit look-up", extra={"device": device, "answer": str(answer.outcome), "lookup_id": lookup_id})
    return json_response(200, {**answer.body(), "lookup_id": lookup_id}, headers={"cache-control": "no-store"})


@app.get("/api/v1/permits/check")
def check_by_query() -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    return _answer(query.get("vrm"), query.get("zone"))


@app.post("/api/v1/permits/check")
def check_by_body() -> Response[str]:
    body = read_json_object(app)
    return _answer(body.get("vrm"), body.get("zone"))


handler = http_handler(app, check_settings)
