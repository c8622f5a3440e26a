"""`GET /api/v1/permits/feed?cursor=&limit=`: a signed page of the devices' offline feed (`permits.feed`), and
`GET /api/v1/permits/feed/key`: the public key that verifies it.

Behind the same JWT authorizer as the look-up (the devices' pool, the `permits/check` scope, checked again here).
A page's signature (base64 DER ECDSA over the SHA-256 of the body's exact bytes) is in `Borough-Feed-Signature`,
the key's id in `Borough-Feed-Key`. Every page given is audited before it is sent: a page that cannot be audited
is not sent (503). A cursor this feed did not give, or a limit out of range, is 400.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler import Response

from permits import feed, lookups_audit
from permits.devices import device_of
from permits.settings import feed_settings
from permits.store import PermitsStore
from shared import aws
from shared.api import http_handler, json_response, make_resolver
from shared.errors import BadRequest, DependencyFailed
from shared.observability import logger

app = make_resolver(feed_settings)


def _signer() -> feed.KmsSigner:
    return feed.KmsSigner(aws.client("kms"), feed_settings().feed_signing_key)


@app.get("/api/v1/permits/feed")
def feed_page() -> Response[str]:
    device = device_of(app.current_event.raw_event)
    query = app.current_event.query_string_parameters or {}
    try:
        limit = feed.read_limit(query.get("limit"))
        cursor = feed.Cursor.decode(query["cursor"]) if query.get("cursor") else None
    except ValueError as error:
        raise BadRequest(str(error)) from error
    configured = feed_settings()
    now = datetime.now(UTC)
    page = feed.page(PermitsStore(aws.table(configured.permits_table)), cursor, limit=limit, now=now)
    body = page.body()
    signer = _signer()
    signature = signer.sign(body)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        lookups_audit.record_feed_page(
            aws.table(configured.lookups_table),
            device,
            now,
            entries=len(page.entries),
            cursor=query.get("cursor") or "",
        )
    except (BotoCoreError, ClientError) as error:
        raise DependencyFailed("The feed page could not be audited, so it is not sent; try again.") from error
    logger.info("Permit feed page", extra={"device": device, "entries": len(page.entries)})
    return Response(
        status_code=200,
        content_type="application/json",
        body=body.decode(),
        headers={
            "cache-control": "no-store",
            "borough-feed-signature": signature,
            "borough-feed-key": configured.feed_signing_key.rsplit("/", 1)[-1],
        },
    )


@app.get("/api/v1/permits/feed/key")
def feed_key() -> Response[str]:
    device_of(app.current_event.raw_event)
    return json_response(200, _signer().public_key(), headers={"cache-control": "max-age=3600"})


handler = http_handler(app, feed_settings)
