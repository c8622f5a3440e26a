"""Applying for a renewal while the current permit is still active: `renews` on the apply payload.

`renewed_permit(store, reference, uprn=, zone=, vrm=, kind=, start=, today=)` is the permit the application with
that reference was issued, when a renewal of it may be applied for: it is active (not ended, not past its last day)
and not renewed already, and the renewal is for the same household (UPRN), zone, mark and type and starts the day
after its last day. Anything else is `RenewalNotAllowed` (a 422 refusal: nothing is written). `permits.application`
then leaves that permit out of the household's count and the mark's active permits, and the application keeps
`renews` (the reference) and `renews_permit_id`, by which the issue takes over the permit's VRM guard and household
place (`PermitsStore.issue(renews=...)`, permits.store_renewal).

A lapsed permit is renewed by applying without `renews`, as for any new permit (its renewal pre-filled starts today).
"""

from __future__ import annotations

from datetime import date, timedelta

from permits.eligibility import NotEligible
from permits.store import Permit, PermitsStore, Status
from permits.zones import PermitType

ISSUED = "issued"  # permits.application.ISSUED (that module imports this one)


class RenewalNotAllowed(NotEligible):
    """`renews` names no permit this application may renew: the message says why."""


def renewed_permit(
    store: PermitsStore, reference: str, *, uprn: str, zone: str, vrm: str, kind: PermitType, start: date, today: date
) -> Permit:
    item = store.get_application(reference)
    if item is None:
        raise RenewalNotAllowed(f"There is no application {reference} to renew.")
    permit_id = str(item.get("permit_id") or "")
    permit = store.get(permit_id) if item.get("status") == ISSUED and permit_id else None
    if permit is None:
        raise RenewalNotAllowed(f"Application {reference} has no permit to renew.")
    if permit.status is not Status.ACTIVE or permit.valid_to < today:
        raise RenewalNotAllowed(
            f"The permit for application {reference} is no longer active: apply for a new permit instead."
        )
    if permit.renewed_by:
        raise RenewalNotAllowed(f"The permit for application {reference} has been renewed already.")
    if (permit.household, permit.zone, permit.vrm, permit.kind) != (uprn, zone, vrm, kind):
        raise RenewalNotAllowed(
            "A renewal is for the same address, zone, vehicle and type of permit as the permit it renews."
        )
    follows = permit.valid_to + timedelta(days=1)
    if start != follows:
        raise RenewalNotAllowed(
            f"A renewal starts the day after the current permit's last day: start it on {follows:%-d %B %Y}."
        )
    return permit
