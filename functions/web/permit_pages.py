"""Applying for a parking permit (issue 12): the start page, the address (the web's address lookup: postcode, then
choose the address), the permit the zone offers, the vehicle's registration number, an email address, check your
answers, the price and why, and a declaration of the vehicle when DVLA is down. Paying and the confirmation are in
permit_payment_pages.py; the answers and their checks in permit_journey.py.

Every page is a link or a form (no JavaScript needed), every POST is CSRF-checked by the route as the web's other
forms are, and the answers are kept in a draft (web/drafts.py) whose cookie is scoped to /permits. The web never
prices or decides: the permits function (web/permits_api.py) says which zone an address is in, whether a mark is a
UK one, and, on "Get your price", makes the application (every refusal before anything is stored) with its price
and the reasons for it. The application's reference is then the order the resident pays (docs/decisions/0010).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie

from shared.location import POSTCODE_MESSAGE, normalise_postcode
from web import permit_journey as journey
from web import security
from web.address_flow import LOOKUP_FAILURES_METRIC, LOOKUP_KEY_REFUSED_METRIC
from web.addresses import Address, AddressLookupFailed
from web.drafts import Draft
from web.http import Reply, Request, redirect
from web.permit_journey import PERMIT_SERVICE_ID, PERMITS_PATH, SERVICE_NAME
from web.site import Site

CONTEXT = {"service_name": SERVICE_NAME, "service_url": PERMITS_PATH}
UNAVAILABLE = ["We cannot take permit applications just now. Nothing has been saved.", "Try again later."]


class PermitSite:
    """What the permit pages share: drafts under /permits, CSRF, rendering with the journey's header."""

    def __init__(self, site: Site) -> None:
        self.site = site

    @property
    def permits(self) -> Any:
        return self.site.ports.permits

    def html(self, template: str, status: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Reply:
        return self.site.html(template, status, cookies, **CONTEXT, **context)

    def message(self, status: int, heading: str, lines: list[str], link: dict[str, str] | None = None) -> Reply:
        return self.html("message.html", status, heading=heading, lines=lines, link=link)

    def unavailable(self, lines: list[str] | None = None) -> Reply:
        link = {"href": PERMITS_PATH, "text": "Go to the start"}
        return self.message(503, "Sorry, there is a problem with the service", lines or UNAVAILABLE, link)

    def cookie(self, request: Request, name: str, value: str) -> Cookie:
        return security.cookie(name, value, path=PERMITS_PATH, secure=not request.is_local_http)

    def load(self, request: Request) -> tuple[Draft | None, bool]:
        """(the permit draft in the cookie, whether the cookie named one that has gone or expired)."""
        draft_id = self.site.draft_id(request)
        if draft_id is None:
            return None, False
        draft = self.site.ports.drafts.get(draft_id)
        if draft is not None and draft.service_id != PERMIT_SERVICE_ID:
            return None, False
        if draft is None or draft.expired(self.site.clock()):
            return None, True
        return draft, False

    def expired(self) -> Reply:
        return self.message(
            410,
            "Your answers have expired",
            ["We keep unsent answers for 28 days after you last saved them. We have deleted yours.",
             "You will need to start again."],
            {"href": f"{PERMITS_PATH}/begin", "text": "Start your application again"},
        )  # fmt: skip

    def new_draft(self, request: Request) -> tuple[Draft, list[Cookie]]:
        draft = Draft(id=security.new_draft_id(), service_id=PERMIT_SERVICE_ID)
        draft.touch(self.site.clock())
        self.site.ports.drafts.put(draft)
        return draft, [self.cookie(request, security.DRAFT_COOKIE, draft.id)]

    def save(self, draft: Draft) -> None:
        draft.touch(self.site.clock())
        self.site.ports.drafts.put(draft)

    def csrf(self, request: Request, draft_id: str) -> tuple[str, list[Cookie]]:
        current = request.cookies.get(security.CSRF_COOKIE, "")
        try:
            security.check_csrf(draft_id, current, current)
        except (security.CsrfMissing, security.CsrfInvalid):
            token = security.csrf_token(draft_id)
            return token, [self.cookie(request, security.CSRF_COOKIE, token)]
        return current, []

    def form_page(self, request: Request, draft: Draft, template: str, status: int = 200, **context: Any) -> Reply:
        token, cookies = self.csrf(request, draft.id)
        return self.html(template, status, cookies, csrf_token=token, **context)


class PermitPages:
    def __init__(self, site: Site) -> None:
        self.p = PermitSite(site)
        self.site = site

    # -- start --------------------------------------------------------------------------------------------------
    def start(self, request: Request) -> Reply:
        if self.p.permits is None:
            return self.p.unavailable()
        found = self.p.permits.offers(correlation_id=request.correlation_id)
        if not found.ok:
            return self.p.unavailable()
        draft, _ = self.p.load(request)
        in_progress = draft is not None and bool(draft.answers)
        return self.p.html(
            "permit_start.html",
            zones=found.body.get("zones", []),
            in_progress=in_progress,
            continue_url=(
                journey.step_url("check-answers") if draft.submitted else journey.next_step_url(draft.answers)
            )
            if draft
            else "",
        )

    def begin(self, request: Request) -> Reply:
        draft, _ = self.p.load(request)
        if draft is not None and not draft.submitted:
            return redirect(journey.next_step_url(draft.answers))
        draft, cookies = self.p.new_draft(request)
        return redirect(journey.next_step_url(draft.answers), cookies=cookies)

    def restart(self, request: Request) -> Reply:
        """(POST) A new application: the draft is forgotten (an unpaid application stays unpaid and is never paid)."""
        draft, _ = self.p.load(request)
        if draft is not None:
            self.site.ports.drafts.delete(draft.id)
        draft, cookies = self.p.new_draft(request)
        return redirect(journey.next_step_url(draft.answers), cookies=cookies)

    def _journey(self, request: Request) -> tuple[Draft | None, Reply | None]:
        draft, expired = self.p.load(request)
        if expired:
            return None, self.p.expired()
        if draft is None:
            return None, redirect(PERMITS_PATH)
        if draft.submitted:  # the application is made: it is paid for as it is, or a new one is started
            return None, redirect(journey.step_url("check-answers"))
        if self.p.permits is None:
            return None, self.p.unavailable()
        return draft, None

    def _done(self, request: Request, draft: Draft) -> Reply:
        """A step answered: saved, and on to the first step not answered yet (check your answers after a change)."""
        self.p.save(draft)
        return redirect(journey.next_step_url(draft.answers))

    @staticmethod
    def _back(step: str, change: bool) -> str:
        if change:
            return journey.step_url("check-answers")
        order = ("", *journey.STEPS)
        index = order.index(step) if step in order else len(order)
        return journey.step_url(order[index - 1]) if index > 1 else PERMITS_PATH

    # -- the address ---------------------------------------------------------------------------------------------
    def address_page(self, request: Request) -> Reply:
        draft, reply = self._journey(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        finding = request.arg("find") == "1" or not _stored(draft)
        return self._address(request, draft, finding=finding, change=request.arg("change") == "1")

    def _address(
        self, request: Request, draft: Draft, *, finding: bool, change: bool, errors: journey.Errors | None = None,
        postcode: str = "", status: int = 200,
    ) -> Reply:  # fmt: skip
        state = draft.lookups.get("address") or {}
        chosen = (draft.answers.get("address") or {}).get("uprn", "")
        return self.p.form_page(
            request,
            draft,
            "permit_address.html",
            status,
            finding=finding,
            postcode=postcode or state.get("postcode", ""),
            addresses=[{"uprn": a.uprn, "text": a.text} for a in _stored(draft)],
            not_found=bool(state) and not state.get("addresses") and not state.get("failed"),
            selected=request.field("uprn") or chosen,
            errors=errors or [],
            field_errors={e["href"]: e["message"] for e in errors or []},
            change=change,
            back_url=self._back("address", change),
        )

    def address(self, request: Request) -> Reply:
        """(POST) Find the addresses at a postcode, or take the one chosen from those found, and find its zone."""
        draft, reply = self._journey(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        change = request.field("change") == "1"
        if request.field("action") == "find-address" or request.field("mode") == "find":
            return self._find(request, draft, change)
        uprn = request.field("uprn").strip()
        found = next((a for a in _stored(draft) if a.uprn == uprn), None)
        if found is None:  # nothing chosen, or not one of the addresses found for this draft
            message = "Select an address" if not uprn else "Select an address from the list"
            return self._address(request, draft, finding=False, change=change, status=400,
                                 errors=[{"href": "uprn", "message": message}])  # fmt: skip
        sent = {"uprn": found.uprn, "postcode": found.postcode, "street": found.street}
        answer = self.p.permits.zone_of(sent, correlation_id=request.correlation_id)
        if answer.status == 422:  # outside every zone: said plainly, nothing kept
            return self.p.message(
                200,
                journey.REFUSAL_HEADINGS["AddressOutsideZones"],
                [f"{found.text}, {found.postcode}.", str(answer.body.get("detail", ""))],
                {"href": f"{journey.step_url('address')}?find=1", "text": journey.CHANGE_LINKS["address"]},
            )
        if not answer.ok:
            return self.p.unavailable()
        zone = answer.body["zone"]
        if (draft.answers.get("zone") or {}).get("code") != zone.get("code"):
            draft.answers.pop("permit", None)  # another zone offers other permits: choose again
        draft.answers["address"] = {**found.to_json(), "text": found.text}
        draft.answers["zone"] = zone
        return self._done(request, draft)

    def _find(self, request: Request, draft: Draft, change: bool) -> Reply:
        typed = request.field("postcode").strip()
        postcode = normalise_postcode(typed) if typed else None
        if postcode is None:
            message = POSTCODE_MESSAGE if typed else "Enter a postcode"
            return self._address(request, draft, finding=True, change=change, postcode=typed, status=400,
                                 errors=[{"href": "postcode", "message": message}])  # fmt: skip
        state: dict[str, Any] = {"postcode": postcode, "addresses": [], "failed": False}
        lookup = self.site.ports.addresses
        try:
            if lookup is None or not lookup.available():
                raise AddressLookupFailed("not-configured")
            state["addresses"] = [a.to_json() for a in lookup.by_postcode(postcode)]
        except AddressLookupFailed as failure:
            from shared.observability import logger, metrics

            logger.warning("Address lookup failed", extra={"reason": failure.reason, "status": failure.status})
            metrics.add_metric(name=LOOKUP_FAILURES_METRIC, unit="Count", value=1)
            if failure.reason == "unauthorised":
                metrics.add_metric(name=LOOKUP_KEY_REFUSED_METRIC, unit="Count", value=1)
            # A permit is for one property (its UPRN): an address typed in cannot be matched to a zone.
            return self.p.unavailable(
                ["We could not look up addresses just now, and we need to find yours to apply for a permit.",
                 "Nothing has been saved. Try again later."]
            )  # fmt: skip
        draft.lookups["address"] = state
        self.p.save(draft)
        return self._address(request, draft, finding=not state["addresses"], change=change, postcode=postcode)

    # -- the permit, the vehicle, the email ---------------------------------------------------------------------
    def step_page(self, request: Request, step: str) -> Reply:
        draft, reply = self._journey(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        if not journey.answered(draft.answers, "address"):
            return redirect(journey.step_url("address"))
        if step == "declare" and not draft.answers.get("declare"):
            return redirect(journey.next_step_url(draft.answers))
        return self._step(request, draft, step, change=request.arg("change") == "1")

    def _step(self, request: Request, draft: Draft, step: str, *, change: bool, errors: journey.Errors | None = None,
              values: dict[str, Any] | None = None, status: int = 200) -> Reply:  # fmt: skip
        answers = draft.answers
        shown = values if values is not None else _shown(step, answers)
        return self.p.form_page(
            request,
            draft,
            "permit_step.html",
            status,
            step=step,
            action=journey.step_url(step),
            zone=answers.get("zone") or {},
            options=journey.permit_options(answers.get("zone") or {}),
            fuels=journey.FUELS,
            values=shown,
            vrm_display=(answers.get("vrm") or {}).get("display", ""),
            errors=errors or [],
            field_errors={e["href"]: e["message"] for e in errors or []},
            change=change,
            back_url=self._back(step, change) if step != "declare" else journey.step_url("check-answers"),
        )

    def step(self, request: Request, step: str) -> Reply:
        """(POST) One step's answer, checked; the page again with the error summary if it does not pass."""
        draft, reply = self._journey(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        if not journey.answered(draft.answers, "address"):
            return redirect(journey.step_url("address"))
        change = request.field("change") == "1"
        form = {k: request.field(k) for k in ("permit", "vrm", "email", "make", "colour", "fuel", "co2", "engine")}
        errors = self._answer(request, draft, step, form)
        if errors:
            return self._step(request, draft, step, change=change, errors=errors, values=form, status=400)
        return self._done(request, draft)

    def _answer(self, request: Request, draft: Draft, step: str, form: dict[str, str]) -> journey.Errors:
        """The step's answer into the draft, or the errors it has (nothing changed)."""
        if step == "vehicle":
            return self._vehicle(request, draft, form["vrm"])
        errors: journey.Errors
        if step == "permit":
            chosen = journey.chosen_permit(draft.answers["zone"], form["permit"])
            errors = [{"href": "permit", "message": "Select the permit you want"}] if chosen is None else []
            answer: Any = chosen
        elif step == "email":
            answer, errors = journey.check_email(form["email"])
        else:
            answer, errors = journey.check_declaration(form)
        if not errors:
            draft.answers["declared_vehicle" if step == "declare" else step] = answer
        return errors

    def _vehicle(self, request: Request, draft: Draft, typed: str) -> journey.Errors:
        if not typed.strip():
            return [{"href": "vrm", "message": "Enter the vehicle's registration number, for example AB12 CDE"}]
        checked = self.p.permits.check_vrm(typed, correlation_id=request.correlation_id)
        if checked.status == 400:
            return [{"href": "vrm", "message": str(checked.body.get("detail", "Check the registration number"))}]
        if not checked.ok:
            return [{"href": "vrm", "message": "We could not check the registration number just now. Try again."}]
        if (draft.answers.get("vrm") or {}).get("vrm") != checked.body["vrm"]:
            draft.answers.pop("declare", None)  # another vehicle: DVLA is asked about it afresh
            draft.answers.pop("declared_vehicle", None)
        draft.answers["vrm"] = {"vrm": checked.body["vrm"], "display": checked.body["display"]}
        return []


def _stored(draft: Draft) -> list[Address]:
    state = draft.lookups.get("address") or {}
    return [Address.from_json(a) for a in state.get("addresses", [])]


def _shown(step: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A step's answer back in its form fields."""
    permit = answers.get("permit") or {}
    declared = answers.get("declared_vehicle") or {}
    return {
        "permit": f"{permit['kind']}-{permit['months']}" if permit else "",
        "vrm": (answers.get("vrm") or {}).get("display", ""),
        "email": answers.get("email", ""),
        "make": declared.get("make", ""),
        "colour": declared.get("colour", ""),
        "fuel": declared.get("fuel", ""),
        "co2": "" if declared.get("co2_g_km") is None else str(declared["co2_g_km"]),
        "engine": "" if declared.get("engine_cc") is None else str(declared["engine_cc"]),
    }
