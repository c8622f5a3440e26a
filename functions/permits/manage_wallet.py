"""The visitor wallet through a permit's signed manage link (the resident web's visitor pages): the wallet actions
(`visitor-balance`, `start-visitor-session`, `cancel-visitor-session`: permits.wallet_handler) given a `token`
instead of a UPRN and zone. The link names an application; its household's UPRN and its zone are the wallet's, so
the web never holds or sends a UPRN. A bad, expired or unknown link is 404, and a permit not issued (or ended) is
422 `PermitNotIssued`, both writing nothing. `visitor-balance` by link also answers `sessions`: the household's
sessions in the zone that year, newest first (`id`, `vrm`, `start`, `end`, `day`, `cancelled`, `cancellable`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from permits.wallet_handler import handle_wallet
from permits.wallet_store import WalletStore

WALLET_STATUSES = frozenset({"issued"})  # only a permit in force opens its household's wallet


def wallet_by_link(
    event: dict[str, Any],
    reference_of: Callable[[str], str | None],
    application_of: Callable[[str], Any],
    wallets: WalletStore,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    reference = reference_of(str(event.get("token") or ""))
    found = application_of(reference) if reference else None
    if found is None:
        return {"status": 404, "body": {"detail": "This link does not work."}}
    if found.status not in WALLET_STATUSES:
        return {"status": 422, "body": {"detail": "This permit is not in force.", "refusal": "PermitNotIssued"}}
    now = clock()
    asked = {**event, "uprn": found.uprn, "zone": found.zone}
    answer = handle_wallet(asked, wallets, clock=lambda: now)
    if event.get("action") == "visitor-balance" and answer["status"] == 200:
        body = answer["body"]
        body["zone_name"] = wallets.zone(found.zone).name
        body["sessions"] = wallets.sessions(found.uprn, found.zone, year=int(body["year"]), now=now)
    return answer
