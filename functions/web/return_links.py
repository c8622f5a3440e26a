"""Save-and-return links: made by the web when the notifications service asks, opened once, never a cookie.

A saved draft is named by its `save_id` in the web's events (`draft-saved`, `draft-expiring`), which carry no
bearer value: the save id alone opens nothing. To email a resident their link, the notifications consumer invokes
this module's function (`handler`, the web's ReturnLinks function) with the event's save id; the web checks the
draft still wants the email (not gone, submitted, expired or saved again since the event), makes the link
`/services/<service>/return/<save_id>.<secret>` with a new random secret, and answers with the address and the
link. Neither is in any event; the notifications service never reads the Drafts table.

Only the latest link works, and only once: opening it (`open_link`) moves the answers to a new draft id (a new
cookie), deletes the old draft and forgets the secret. So someone who sends a victim a link to their own draft
cannot follow what the victim types, the link's value is no draft id (it cannot be used as the cookie), and a
draft id seen before is dead after the link is opened. Asked again for the same event (a retried delivery), the
web gives the same link, so the email sent first still works.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger, observed
from web import security
from web.drafts import Draft, DraftStore, DynamoDraftStore

LINK_TOKEN = re.compile(r"^([A-Za-z0-9_-]{8,64})\.([A-Za-z0-9_-]{20,64})$")  # <save_id>.<secret>


@dataclass(frozen=True)
class ReturnLink:
    email: str
    path: str  # /services/<service>/return/<save_id>.<secret>
    service_id: str
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "path": self.path, "service_id": self.service_id, "expires_at": self.expires_at}


def mint(
    drafts: DraftStore, save_id: str, *, for_event: str, expires_at: int, now: float | None = None
) -> tuple[ReturnLink | None, str]:
    """(the link to email for this event, or None; why not). The draft's expiry is not changed."""
    draft = drafts.get_saved(save_id)
    if draft is None or draft.save_id != save_id:
        return None, "gone"
    if draft.submitted:
        return None, "submitted"
    if draft.expired(now or time.time()):
        return None, "expired"
    if draft.expires_at != expires_at:
        return None, "saved again since"  # a newer event speaks for it
    if draft.email is None:
        return None, "no email address"
    if draft.return_for != for_event or draft.return_secret is None:
        draft.return_secret = security.new_return_secret()  # the link sent before stops working
        draft.return_for = for_event
        drafts.put(draft)
    path = f"/services/{draft.service_id}/return/{save_id}.{draft.return_secret}"
    return ReturnLink(email=draft.email, path=path, service_id=draft.service_id, expires_at=draft.expires_at), ""


def open_link(drafts: DraftStore, token: str, *, service_id: str, now: float | None = None) -> Draft | None:
    """The draft the link opens, under a new id (the caller sets its cookie), or None when the link is not the
    draft's live one (forged, used already, superseded) or the draft has expired."""
    match = LINK_TOKEN.match(token)
    if match is None:
        return None
    save_id, secret = match.groups()
    draft = drafts.get_saved(save_id)
    if draft is None or draft.return_secret is None or not hmac.compare_digest(draft.return_secret, secret):
        return None
    if draft.service_id != service_id or draft.expired(now or time.time()):
        return None
    moved = replace(draft, id=security.new_draft_id(), return_secret=None, return_for=None)
    drafts.put(moved)
    drafts.point_to(moved)
    drafts.delete(draft.id)  # the id anyone saw before (or planted) is dead
    return moved


def _link_for(event: dict[str, Any]) -> dict[str, Any]:
    from web.settings import return_link_settings

    save_id, event_id, expires_at = event.get("save_id"), event.get("event_id"), event.get("expires_at")
    if not (isinstance(save_id, str) and isinstance(event_id, str) and isinstance(expires_at, int)):
        return {"link": None, "reason": "malformed request"}
    drafts = DynamoDraftStore(return_link_settings().drafts_table)
    link, reason = mint(drafts, save_id, for_event=event_id, expires_at=expires_at)
    return {"link": link.to_json() if link else None, "reason": reason}


@observed  # the answer holds an address and a bearer link: the stack turns off the tracer's response capture
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Invoked by the notifications consumer only (its role alone may): `{"save_id", "event_id", "expires_at"}`."""
    answer = _link_for(event)
    logger.info("Return link asked for", extra={"made": answer["link"] is not None, "reason": answer["reason"]})
    return answer
