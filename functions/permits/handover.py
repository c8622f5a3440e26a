"""The hand-over between a permit and its renewal when either is changed or ended before the old one's last day: the
rules `permits.changes` applies, as plain functions (the writes are `permits.changes_store` and
`permits.store_handover`). A renewal here is one issued with `renews` (permits.renewing): it starts the day after
the permit it renews ends, and holds that permit's VRM guard and household place from its issue (`renewed_by`).

- **The current permit's vehicle changed**: the renewal, issued and not started, changes with it, in the same
  transaction (the resident has one car on the permit and its renewal; a renewal left on the old car would be a
  permit for a car they no longer have). The difference is the current permit's (for its months left) plus the
  renewal's (for its whole term, priced by the rules that priced it): one sum to pay or refund (`shares` splits it
  between the two payments' ledgers).
- **The renewal's vehicle changed before it starts**, while the permit it renews is in force: refused
  (`waiting_renewal` names the permit): the resident changes the current permit, and the renewal follows.
- **The current permit cancelled** (resident) **or revoked** (staff): that permit alone ends; the renewal still
  starts on its day, holding the guard and the household's place (nothing the resident paid for is lost). The
  answer says so (`cancel_note`) and how to cancel the renewal too.
- **The renewal cancelled or revoked before it starts**: it ends; the guard and the household's place go back to the
  permit it renews, which stays valid to its last day and may be renewed again (permits.store_handover). A
  cancelled renewal is refunded by the zone's rule, as any permit: every month is unused, less the admin fee.
- **A renewal pending payment** when the current permit is cancelled or revoked: left as it is. Paid, it is issued
  from its first day as any new permit (the guard and the place taken afresh; either taken meanwhile, it is not
  issued and is refunded in full). When the current permit's vehicle was changed after the renewal was applied for,
  a paid renewal would be for the old vehicle: it is not issued and is refunded in full (`vehicle_changed_since`);
  the resident renews again for the new vehicle.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from permits.application import ISSUED, Application
from permits.pricing import pounds
from permits.store import Permit, PermitsStore, Status
from permits.zones import Cancellation


def renewal_of(store: PermitsStore, permit: Permit, today: date) -> tuple[dict[str, Any], Application, Permit] | None:
    """The permit's renewal when it is issued, not started and holds the mark (it changes with the permit)."""
    renewal = store.get(permit.renewed_by) if permit.renewed_by else None
    if renewal is None or renewal.status is not Status.ACTIVE or renewal.valid_from <= today:
        return None
    if renewal.vrm != permit.vrm or renewal.renewed_by:
        return None
    item = store.get_application(renewal.reference) if renewal.reference else None
    if item is None or item.get("status") != ISSUED or item.get("permit_id") != renewal.permit_id:
        return None
    return item, Application.from_item(item), renewal


def waiting_renewal(store: PermitsStore, item: dict[str, Any], permit: Permit, today: date) -> Permit | None:
    """The permit this one renews, when this one has not started and that one is in force, renewed by it."""
    renewed_id = str(permit.renews or item.get("renews_permit_id") or "")
    renewed = store.get(renewed_id) if renewed_id and permit.valid_from > today else None
    if renewed is None or renewed.status is not Status.ACTIVE or renewed.valid_to < today:
        return None
    return renewed if renewed.renewed_by == permit.permit_id else None


def shares(total: int, renewal_difference: int) -> tuple[int, int]:
    """`total` (to pay when positive, to refund when negative) split into the permit's and the renewal's parts, the
    renewal's never beyond its own difference nor of the other sign: `own + renewal == total`."""
    renewal = min(total, max(0, renewal_difference)) if total >= 0 else -min(-total, max(0, -renewal_difference))
    return total - renewal, renewal


def follow_reasons(renewal: Application, new_price: int, current_price: int, total: int) -> tuple[str, ...]:
    """What the resident reads about the renewal changing with the permit, and the sum of both."""
    lines = [
        f"Your renewal, from {renewal.valid_from:%-d %B %Y} to {renewal.valid_to:%-d %B %Y}, changes to the new "
        f"vehicle too: for its {renewal.months} months it costs {pounds(new_price)} for the new vehicle and "
        f"{pounds(current_price)} for the current one.",
    ]
    if total > 0:
        lines.append(f"For the permit and its renewal together, to pay: {pounds(total)}.")
    elif total < 0:
        lines.append(f"For the permit and its renewal together, to refund: {pounds(-total)}.")
    else:
        lines.append("For the permit and its renewal together, nothing to pay or refund.")
    return tuple(lines)


def follow_note(renewal: Permit, vrm: str, *, pending: bool) -> str:
    """What the resident reads about their renewal when the permit's vehicle changes."""
    starts = f"{renewal.valid_from:%-d %B %Y}"
    if pending:
        return f"When you have paid, your renewal from {starts} changes to {vrm} too."
    return f"Your renewal from {starts} is for {vrm} too."


def _refund_words(rule: Cancellation) -> str:
    if rule.refund == "none":
        return "permits in this zone are not refunded when they are cancelled"
    fee = f", less the admin fee of {pounds(rule.admin_fee)}" if rule.admin_fee else ""
    return f"a renewal cancelled before it starts is refunded for all its months{fee}"


def cancel_note(*, renewal: Permit | None, renewed: Permit | None, rule: Cancellation) -> str:
    """What cancelling means for the other of the pair: the renewal kept, or the current permit given back."""
    if renewal is not None:
        return (
            f"Your renewal of this permit is not cancelled: it starts on {renewal.valid_from:%-d %B %Y}. To cancel "
            f"it too, use the link in the email about it ({_refund_words(rule)})."
        )
    if renewed is not None:
        return (
            f"Your current permit is not affected: it is valid to its last day, {renewed.valid_to:%-d %B %Y}, and "
            "you can renew it again."
        )
    return ""


def vehicle_changed_since(renewed: Permit | None, mark: str) -> bool:
    """A renewal's paid application is for a mark its permit no longer has (changed since it was applied for)."""
    return renewed is not None and renewed.vrm != mark
