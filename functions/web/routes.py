"""The resident web's routes, on the Powertools resolver the API functions use (shared/api.py).

Each route is a path with parameters and its methods; every GET route answers HEAD too (the handler drops the
body). Middleware, in order:

- `read_request` (every route, and the not-found handler): the event as a `Request` (cookies, form fields),
  or 413 for a form over the limit;
- `find_service` (routes under /services/<service_id>): the service from the catalogue, and the page when the
  route names one: the web's own 404 page for neither, 405 for a step that exists with other methods;
- `draft_csrf` / `reminders_csrf` (every POST): the signed double-submit token, bound to the draft in the cookie
  or to the reminder pages.

A path no route serves is the web's GOV.UK-styled 404 page; a known path asked with another method is its 405
page with `Allow` (from this module's own route table, as the API's come from its route table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from shared.catalogue import ServiceDefinition
from shared.observability import correlation_id_from_http
from web import security
from web.file_pages import file_question
from web.http import FormTooLarge, FormUnreadable, Reply, Request, parse_event
from web.permit_journey import PERMIT_SERVICE_ID, PERMITS_PATH
from web.permit_manage_pages import CHANGE_SERVICE_ID, MANAGE_PATH
from web.permit_move_pages import MOVE_SERVICE_ID
from web.reminder_pages import DONE_STEPS, LINK_ACTIONS, REMINDERS_PATH
from web.site import has_page

if TYPE_CHECKING:
    from web.pages import Web

SERVICE = "/services/<service_id>"
SERVED_METHODS = ("GET", "HEAD", "POST")
_REQUEST = "web_request"
_SERVICE = "web_service"
_PARAMETER = re.compile(r"<\w+>")

Middleware = Callable[[APIGatewayHttpResolver, NextMiddleware], Response[Any]]


class RouteTable:
    """The methods each registered path answers (for 405's Allow), beside the resolver's own routing."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str]]] = []

    def add(self, methods: Sequence[str], rule: str) -> None:
        pattern = re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(rule).replace(r"\<", "<").replace(r"\>", ">")))
        self._routes.extend((method, re.compile(pattern.pattern + "$")) for method in methods)

    def allowed(self, path: str) -> list[str]:
        return sorted({m for m, pattern in self._routes if m != "HEAD" and pattern.match(path)})


def _route_arguments(app: APIGatewayHttpResolver) -> dict[str, str]:
    # The matched route's path parameters, which Powertools keeps in the resolver's context for the route function.
    arguments: dict[str, str] = app.context.get("_route_args", {})
    return arguments


def build(web: Web) -> APIGatewayHttpResolver:
    """The resolver for `web`'s pages, every route registered."""
    routes = _Routes(web)
    routes.register()
    return routes.app


class _Routes:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.site = web.site
        self.app = APIGatewayHttpResolver()
        self.table = RouteTable()
        self.app.use([self.read_request])
        self.app.not_found(self._not_found)

    def request(self) -> Request:
        found: Request = self.app.context[_REQUEST]
        return found

    def service(self) -> ServiceDefinition:
        found: ServiceDefinition = self.app.context[_SERVICE]
        return found

    def unmatched(self, method: str, path: str) -> Reply:
        if method not in SERVED_METHODS:
            return self.site.method_not_allowed("GET, POST")
        allowed = self.table.allowed(path)
        return self.site.method_not_allowed(", ".join(allowed)) if allowed else self.site.not_found()

    def _not_found(self, _: NotFoundError) -> Response[Any]:
        return self.unmatched(self.app.current_event.http_method, self.app.current_event.path).to_response()

    # -- middleware ---------------------------------------------------------------------------------------------
    def read_request(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event.raw_event
        try:
            app.append_context(**{_REQUEST: parse_event(event, correlation_id_from_http(event))})
        except FormTooLarge:
            too_large = Reply(status=413, body="The form is too large.", content_type="text/plain; charset=utf-8")
            return too_large.to_response()
        except FormUnreadable:
            unreadable = Reply(status=400, body="The form could not be read.", content_type="text/plain; charset=utf-8")
            return unreadable.to_response()
        return next_middleware(app)

    def find_service(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        arguments = _route_arguments(app)
        definition = self.site.catalogue.get(arguments["service_id"])
        if definition is None:
            return self.site.not_found().to_response()
        page_id = arguments.get("page_id")
        if page_id is not None and not has_page(definition, page_id):
            return self.unmatched(app.current_event.http_method, app.current_event.path).to_response()
        app.append_context(**{_SERVICE: definition})
        return next_middleware(app)

    def draft_csrf(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        refused = self.site.refused_csrf(self.request())
        return refused.to_response() if refused is not None else next_middleware(app)

    def reminders_csrf(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        refused = self.site.refused_csrf(self.request(), security.REMINDERS_CSRF_BINDING)
        return refused.to_response() if refused is not None else next_middleware(app)

    def manage_csrf(self, app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        token = str(_route_arguments(app).get("token") or "")
        refused = self.web.permit_manage.refused_csrf(self.request(), token)
        return refused.to_response() if refused is not None else next_middleware(app)

    # -- routes -------------------------------------------------------------------------------------------------
    def route(self, methods: Sequence[str], rule: str, view: Callable[..., Reply], *, listed: bool = True) -> None:
        """`view(**path parameters)` serves `rule`; a GET route answers HEAD too; POSTs are CSRF-checked."""
        middlewares: list[Middleware] = [self.find_service] if rule.startswith(SERVICE) else []
        if "POST" in methods and rule.startswith(MANAGE_PATH):
            middlewares.append(self.manage_csrf)  # bound to the link, not a draft
        elif "POST" in methods:
            middlewares.append(self.reminders_csrf if rule.startswith(REMINDERS_PATH) else self.draft_csrf)
        served = [*methods, "HEAD"] if "GET" in methods else list(methods)
        self.app.route(rule, method=served, middlewares=middlewares)(lambda **kw: view(**kw).to_response())
        if listed:
            self.table.add(served, rule)

    def register(self) -> None:
        self._permit_manage()  # first, as the permits': a change's Pay return is not a catalogue service
        self._permits()  # first: Pay's return for a permit is under /services/parking-permit, not a catalogue service
        self._services()
        self._questions()
        self._reminders()
        self.route(["GET"], "/track", lambda: self.web.tracking.track(self.request()))

    def _services(self) -> None:
        web, request, service = self.web, self.request, self.service
        for home in ("/", "/services"):
            self.route(["GET"], home, lambda: web.start.home(request()))
        self.route(["GET"], SERVICE, lambda service_id: web.start.start(request(), service()))
        self.route(["GET"], f"{SERVICE}/begin", lambda service_id: web.start.begin(request(), service()))
        self.route(["POST"], f"{SERVICE}/restart", lambda service_id: web.start.restart(request(), service()))
        submission = web.submission
        self.route(
            ["GET"], f"{SERVICE}/check-answers", lambda service_id: submission.check_answers(request(), service())
        )
        self.route(["POST"], f"{SERVICE}/check-answers", lambda service_id: submission.submit(request(), service()))
        self.route(["GET"], f"{SERVICE}/confirmation", lambda service_id: submission.confirmation(request(), service()))
        self.route(["POST"], f"{SERVICE}/pay", lambda service_id: web.payments.pay(request(), service()))
        self.route(
            ["GET"], f"{SERVICE}/setting-up-payment", lambda service_id: web.payments.setting_up(request(), service())
        )
        self.route(
            ["GET"],
            f"{SERVICE}/payment/<token>",
            lambda service_id, token: web.payments.back_from_pay(request(), service(), token),
        )
        self.route(
            ["GET"],
            f"{SERVICE}/renew/<token>",
            lambda service_id, token: web.renewals.open(request(), service(), token),
        )
        self.route(["GET"], f"{SERVICE}/save", lambda service_id: web.save_return.save_page(request(), service()))
        self.route(["POST"], f"{SERVICE}/save", lambda service_id: web.save_return.save(request(), service()))
        self.route(
            ["GET"],
            f"{SERVICE}/return/<token>",
            lambda service_id, token: web.save_return.come_back(request(), service(), token),
        )

    def _permits(self) -> None:
        pages, paying, request = self.web.permits, self.web.permit_payments, self.request
        self.route(["GET"], PERMITS_PATH, lambda: pages.start(request()))
        self.route(["GET"], f"{PERMITS_PATH}/begin", lambda: pages.begin(request()))
        self.route(["POST"], f"{PERMITS_PATH}/restart", lambda: pages.restart(request()))
        self.route(["GET"], f"{PERMITS_PATH}/address", lambda: pages.address_page(request()))
        self.route(["POST"], f"{PERMITS_PATH}/address", lambda: pages.address(request()))
        for step in ("permit", "vehicle", "email", "declare"):
            self.route(["GET"], f"{PERMITS_PATH}/{step}", lambda s=step: pages.step_page(request(), s))
            self.route(["POST"], f"{PERMITS_PATH}/{step}", lambda s=step: pages.step(request(), s))
        evidence = self.web.permit_evidence  # the zone's evidence: declarations and uploads (permit_evidence_pages.py)
        self.route(["GET"], f"{PERMITS_PATH}/evidence", lambda: evidence.page(request()))
        self.route(["POST"], f"{PERMITS_PATH}/evidence", lambda: evidence.post(request()))
        self.route(["GET"], f"{PERMITS_PATH}/evidence/uploaded", lambda: evidence.uploaded(request()))
        self.route(["GET"], f"{PERMITS_PATH}/check-answers", lambda: paying.check_answers(request()))
        self.route(["POST"], f"{PERMITS_PATH}/check-answers", lambda: paying.get_price(request()))
        self.route(["POST"], f"{PERMITS_PATH}/pay", lambda: paying.pay(request()))
        self.route(["GET"], f"{PERMITS_PATH}/confirmation", lambda: paying.confirmation(request()))
        self.route(
            ["GET"],
            f"/services/{PERMIT_SERVICE_ID}/payment/<token>",
            lambda token: paying.back_from_pay(request(), token),
        )

    def _permit_manage(self) -> None:
        """The signed link in a permit's email (web/permit_manage_pages.py)."""
        pages, request = self.web.permit_manage, self.request
        self.route(["GET"], f"{MANAGE_PATH}/<token>", lambda token: pages.show(request(), token))
        self.route(["GET"], f"{MANAGE_PATH}/<token>/vehicle", lambda token: pages.vehicle_page(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/vehicle", lambda token: pages.change_vehicle(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/vehicle/declare", lambda token: pages.declare(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/pay", lambda token: pages.pay_change(request(), token))
        self.route(["GET"], f"{MANAGE_PATH}/<token>/cancel", lambda token: pages.cancel_page(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/cancel", lambda token: pages.cancel(request(), token))
        visitors = self.web.visitors  # the household's visitor wallet (web/visitor_pages.py)
        self.route(["GET"], f"{MANAGE_PATH}/<token>/visitors", lambda token: visitors.show(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/visitors", lambda token: visitors.start(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/visitors/cancel", lambda token: visitors.cancel(request(), token))
        carers = self.web.carers  # a carer permit's sessions (web/carer_pages.py)
        self.route(["GET"], f"{MANAGE_PATH}/<token>/carer", lambda token: carers.show(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/carer", lambda token: carers.start(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/carer/end", lambda token: carers.end(request(), token))
        renewing = self.web.permit_renewal
        self.route(["GET"], f"{MANAGE_PATH}/<token>/renew", lambda token: renewing.page(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/renew", lambda token: renewing.renew(request(), token))
        self.route(
            ["GET"],
            f"/services/{CHANGE_SERVICE_ID}/payment/<token>",
            lambda token: pages.back_from_pay(request(), token),
        )
        moving = self.web.permit_move  # moving into another zone (web/permit_move_pages.py)
        self.route(["GET"], f"{MANAGE_PATH}/<token>/move", lambda token: moving.page(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/move", lambda token: moving.find_or_choose(request(), token))
        self.route(["POST"], f"{MANAGE_PATH}/<token>/move/confirm", lambda token: moving.confirm(request(), token))
        self.route(
            ["GET"],
            f"/services/{MOVE_SERVICE_ID}/payment/<token>",
            lambda token: moving.back_from_pay(request(), token),
        )

    def _questions(self) -> None:
        """After the fixed steps: any other step is a page id (and not listed for 405s: a page or nothing)."""
        web, request, service = self.web, self.request, self.service
        self.route(
            ["GET"],
            f"{SERVICE}/<page_id>/uploaded",
            lambda service_id, page_id: web.files.uploaded(request(), service(), page_id),
        )
        self.route(
            ["GET"],
            f"{SERVICE}/<page_id>",
            lambda service_id, page_id: web.questions.page(request(), service(), page_id),
            listed=False,
        )
        self.route(["POST"], f"{SERVICE}/<page_id>", lambda service_id, page_id: self._post_page(page_id), listed=False)

    def _post_page(self, page_id: str) -> Reply:
        opened = self.web.questions.open(self.request(), self.service(), page_id)
        if isinstance(opened, Reply):
            return opened
        draft, page = opened
        if file_question(page) is not None:
            return self.web.files.post_page(self.request(), self.service(), draft, page)
        return self.web.questions.post_page(self.request(), self.service(), draft, page)

    def _reminders(self) -> None:
        pages, request = self.web.reminders, self.request
        self.route(["GET"], REMINDERS_PATH, lambda: pages.sign_up_page(request()))
        self.route(["POST"], REMINDERS_PATH, lambda: pages.subscribe(request()))
        for action in LINK_ACTIONS:
            self.route(["GET"], f"{REMINDERS_PATH}/{action}", lambda a=action: pages.link_page(request(), a))
            self.route(["POST"], f"{REMINDERS_PATH}/{action}", lambda a=action: pages.change(request(), a))
        for step in DONE_STEPS:
            self.route(["GET"], f"{REMINDERS_PATH}/{step}", lambda s=step: pages.done(request(), s))
