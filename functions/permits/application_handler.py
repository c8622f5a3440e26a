"""The permit applications function, invoked directly by the resident web (never routed on the HTTP API), like the
payments function: the web has found the address with its address lookup and passes it as OS Places gave it.

`{"action": "apply", "application": {"address": {"uprn", "postcode", "street"}, "kind", "months", "vrm",
"start"?, "declared_vehicle"?}, "correlation_id"}` -> `{"status": 201, "body": <the application>}`, or 400 (a
malformed field, an invalid mark: `detail` names it), 422 (a refusal: `refusal` names it, `detail` says why for the
resident; `declare: true` when DVLA is down and the details may be declared), 503 (DVLA refused our key: alarmed;
or payments did not take the order: nothing stored). Before the application is stored its amount is registered
with payments as an order (`register-order`, docs/decisions/0010); a free one (£0) registers none and is answered
issued (`permits.issuing.issue_free`).
`application.assisted` (`{"channel", "reason", "staff"}`, from the staff console only: an application staff made
for a resident, kept on the application, permits.assisted) is optional; the console invokes this function for it.
`{"action": "get", "reference"}` -> 200 and the application (without the email address), or 404.
`{"action": "contact", "reference"}` -> 200 and `{email, reference, vrm, zone, kind, valid_from, valid_to,
permit_id, status}`, or 404: what the notifications service needs to tell the resident (its consumer's role is the
one granted invoke on this function: stacks/notifications_stack.py). The email is never logged.
`{"action": "renewal", "reference"}` -> 200 and the renewal of that application's permit, pre-filled (address,
kind, months, mark, start, price: `permits.renewal`), 404 or 409. `{"action": "manage", "token"}`:
the manage link's application, or 404 (`permits.manage_links`, which also adds `manage_path` to `contact`).
`change-vehicle` and `cancel` (the permit
by its application's reference): `permits.changes_handler`; `move-quote` and `move` (into another zone):
`permits.moves_handler`. Thin: the work is in `permits.application` and
`permits.changes`.
For the resident web's pages before an application (`permits.offers`): `{"action": "offers"}` -> 200
`{"zones": [...]}`; `{"action": "offers", "address"}` -> 200 `{"zone": ...}` or 422 `AddressOutsideZones`;
`{"action": "check-vrm", "vrm"}` -> 200 `{"vrm", "display"}` or 400.
The work for those is in `permits.offers`.
The resident's visitor wallet (`visitor-balance`, `start-visitor-session`, `cancel-visitor-session`, the UPRN as the
caller checked it): `permits.wallet_handler`. A carer permit's sessions by its manage link (`carer-permit`,
`start-carer-session`, `end-carer-session`): `permits.carer_handler`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from permits.adapters.dvla import VehicleEnquiry
from permits.adapters.dvla_models import DvlaError
from permits.application import (
    ORDER_TITLE,
    SERVICE_ID,
    Application,
    ApplicationRequest,
    Applications,
    DeclarationNeeded,
    InvalidApplication,
)
from permits.carer_handler import CARER_ACTIONS, carer_by_link
from permits.carer_sessions import CarerSessions
from permits.corrections import due_correction
from permits.eligibility import Address, NotEligible
from permits.journey import start_journey
from permits.manage_links import link_reference, manage_key, open_manage, with_manage_path
from permits.manage_wallet import wallet_by_link
from permits.moves_handler import MOVE_ACTIONS, handle_move
from permits.offers import checked_mark, offers, zone_offer
from permits.orders import PaymentsUnavailable, registering
from permits.renewal import renewal
from permits.schedule import london_day
from permits.settings import application_settings
from permits.store import PermitsStore
from permits.vrm import InvalidVrm
from permits.wallet_handler import WALLET_ACTIONS, handle_wallet
from permits.wallet_store import WalletStore
from permits.zones import load_zones
from shared import aws
from shared.observability import logger, observed
from shared.references import normalise_reference

CHANGE_ACTIONS = frozenset({"change-vehicle", "cancel"})  # permits.changes_handler


@cache
def _dvla() -> VehicleEnquiry:
    configured = application_settings()
    key = aws.client("secretsmanager").get_secret_value(SecretId=configured.dvla_api_key_secret_id)["SecretString"]
    return VehicleEnquiry(str(key).strip(), base_url=configured.dvla_base_url)


def register_with_payments(application: Application) -> None:
    """The application's amount to payments as an order (docs/decisions/0010): `register-order`, by name."""
    register_order(application.reference, SERVICE_ID, ORDER_TITLE, application.pence)


def register_order(reference: str, service_id: str, title: str, amount_pence: int) -> None:
    """An order to payments (`register-order`): an application's, or a change of vehicle's difference."""
    registering(application_settings().payments_function)(reference, service_id, title, amount_pence)


def start_application_journey(application: Application) -> None:
    """The stored application's journey started (permits.journey). A start that fails is logged as an error and
    the application kept: with no execution waiting, the order-paid consumer issues it itself."""
    from botocore.exceptions import BotoCoreError, ClientError

    machine = application_settings().permit_journey
    if not machine:
        return
    try:
        start_journey(aws.client("stepfunctions"), machine, application.reference, free=application.pence == 0)
    except (BotoCoreError, ClientError) as error:
        logger.error("The permit journey did not start", extra={"reference": application.reference,
                                                                 "why": type(error).__name__})  # fmt: skip


@cache
def applications() -> Applications:
    configured = application_settings()
    return Applications(
        zones=load_zones(),
        store=PermitsStore(aws.table(configured.permits_table)),
        vehicles=_dvla,
        register_payment=register_with_payments,
        start_journey=start_application_journey,
    )


@cache
def _wallets() -> WalletStore:
    return WalletStore(aws.table(application_settings().permits_table), load_zones())


@cache
def _carers() -> CarerSessions:
    return CarerSessions(aws.table(application_settings().permits_table), load_zones())


def _error(status: int, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"detail": detail, **more}}


def _before_applying(event: dict[str, Any]) -> dict[str, Any]:
    """What the web's pages ask before an application: the zones' offers, an address's zone, a mark's format;
    and the manage pages' permit by its signed link (permits.manage_links)."""
    if event.get("action") == "manage":
        store = applications().store
        return open_manage(
            str(event.get("token") or ""),
            applications().get,
            manage_key(),
            due=lambda reference: due_correction(store._table, store.get_application(reference) or {}),
        )
    if event.get("action") == "check-vrm":
        try:
            return {"status": 200, "body": checked_mark(str(event.get("vrm") or ""))}
        except InvalidVrm as error:
            return _error(400, str(error))
    address = event.get("address")
    if address is None:
        return {"status": 200, "body": {"zones": offers(load_zones())}}
    if not isinstance(address, dict):
        return _error(400, "address: give the address as the address lookup found it (uprn, postcode).")
    found = Address(**{k: str(address.get(k) or "").strip() for k in ("uprn", "postcode", "street")})
    try:
        return {"status": 200, "body": {"zone": zone_offer(load_zones(), found)}}
    except NotEligible as error:
        return _error(422, str(error), refusal=type(error).__name__)


def _read(action: str, reference_text: str) -> dict[str, Any]:
    """`get` (the resident's own answer, no email), `contact` (for the notifications service) or the permit's
    `renewal` pre-filled: 200, or 404 for no such application (409 for a renewal not possible yet)."""
    reference = normalise_reference(reference_text)
    if reference:
        if action == "renewal":
            service = applications()
            return renewal(service.store, service.zones, reference, london_day(datetime.now(UTC)))
        if action == "contact":
            contact = applications().contact(reference)
            if contact is not None:
                return {"status": 200, "body": with_manage_path(contact, manage_key())}
        elif (found := applications().get(reference)) is not None:
            return {"status": 200, "body": found.public()}
    return _error(404, "There is no application with this reference.")


def _resident_changes(event: dict[str, Any]) -> dict[str, Any]:
    """A permit's changes (permits.changes_handler) or the visitor wallet's actions (permits.wallet_handler)."""
    if event.get("action") in WALLET_ACTIONS:
        if "token" in event:  # the resident web's visitor pages: the link names the household and zone
            return wallet_by_link(event, lambda t: link_reference(t, manage_key()), applications().get, _wallets())
        return handle_wallet(event, _wallets())
    from permits.changes_handler import handle_change  # the resident's changes (permits.changes)

    return handle_change(event, applications(), register_order)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    application_settings()  # a missing or malformed variable fails the first invocation with its name
    logger.set_correlation_id(str(event.get("correlation_id") or "unknown")[:128])
    action = event.get("action")
    if action in ("get", "contact", "renewal"):
        return _read(str(action), str(event.get("reference", "")))
    if action in ("offers", "check-vrm", "manage"):
        return _before_applying(event)
    if action in CHANGE_ACTIONS or action in WALLET_ACTIONS:
        return _resident_changes(event)
    if action in CARER_ACTIONS:  # a carer permit's sessions, by its manage link (permits.carer_handler)
        reference_of = lambda token: link_reference(token, manage_key())  # noqa: E731
        return carer_by_link(event, reference_of, applications().get, _carers())
    if action in MOVE_ACTIONS:  # moving into another zone
        return handle_move(event, applications(), register_order)
    if action != "apply" or not isinstance(event.get("application"), dict):
        return _error(400, "Unknown action, or no application.")
    return apply_answer(applications(), event["application"])


def apply_answer(service: Applications, data: dict[str, Any]) -> dict[str, Any]:
    """The `apply` action's answer (the handler's, without its settings: the console's unit tests call it)."""
    try:
        request = ApplicationRequest.parse(data, today=datetime.now(UTC).date())
        made = service.apply(request)
    except (InvalidApplication, InvalidVrm) as error:
        return _error(400, str(error))
    except DeclarationNeeded as error:
        return _error(422, str(error), refusal=type(error).__name__, declare=True)
    except NotEligible as error:
        logger.info("Permit application refused", extra={"refusal": type(error).__name__})
        return _error(422, str(error), refusal=type(error).__name__)
    except PaymentsUnavailable as error:
        logger.error("Payments did not take the order", extra={"why": str(error)})
        return _error(503, "We could not set up the payment. Nothing was saved; please try again.")
    except DvlaError as error:  # our key refused: a person must act (alarm=True)
        logger.error("DVLA refused the enquiry", extra={"dvla_code": error.code, "dvla_status": error.status})
        return _error(503, "We cannot check vehicles just now. Please try again later.")
    logger.info(
        "Permit application made",
        extra={"reference": made.reference, "zone": made.zone, "amount_pence": made.pence,
               "needs_verification": made.needs_verification},
    )  # fmt: skip
    return {"status": 201, "body": made.public()}
