"""The resident web's pages, composed: one `Site` shared by each journey's pages, routed by `routes.build`.

| journey                         | module            |
| ------------------------------- | ----------------- |
| home, start page, begin/restart | start.py          |
| question pages                  | questions.py      |
| file questions (uploads)        | file_pages.py     |
| check your answers, send        | submission.py     |
| paying (GOV.UK Pay)             | payment_pages.py  |
| applying for a parking permit   | permit_pages.py, permit_payment_pages.py |
| save and come back later        | save_return.py    |
| bin collection reminders        | reminder_pages.py |
| renewing a subscription         | renewal_pages.py  |
| track your request              | tracking.py       |
| what they share                 | site.py           |
| paths, methods, CSRF middleware | routes.py         |
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.catalogue import ServiceDefinition
from web import routes
from web.carer_pages import CarerPages
from web.file_pages import FilePages
from web.payment_pages import PaymentPages
from web.permit_evidence_pages import PermitEvidencePages
from web.permit_manage_pages import PermitManagePages
from web.permit_move_pages import PermitMovePages
from web.permit_pages import PermitPages
from web.permit_payment_pages import PermitPaymentPages
from web.permit_renewal_pages import PermitRenewalPages
from web.questions import QuestionPages
from web.reminder_pages import ReminderPages
from web.renewal_pages import RenewalPages, RenewalsApi
from web.save_return import SaveAndReturnPages
from web.site import Ports, Site
from web.start import StartPages
from web.submission import SubmissionPages
from web.tracking import TrackingPages
from web.visitor_pages import VisitorPages

__all__ = ["Ports", "Web"]


class Web:
    """One instance per container; `resolve` serves one payload 2.0 event."""

    def __init__(
        self,
        ports: Ports,
        *,
        council: str,
        catalogue: Mapping[str, ServiceDefinition] | None = None,
        clock: Callable[[], float] = time.time,
        renewals: RenewalsApi | None = None,
    ) -> None:
        self.site = Site(ports, council=council, catalogue=catalogue, clock=clock)
        self.renewals = RenewalPages(self.site, renewals)
        self.start = StartPages(self.site)
        self.questions = QuestionPages(self.site)
        self.files = FilePages(self.site, self.questions.render_page)
        self.payments = PaymentPages(self.site)
        self.submission = SubmissionPages(self.site, self.payments, on_sent=self.renewals.sent)
        self.save_return = SaveAndReturnPages(self.site)
        self.reminders = ReminderPages(self.site)
        self.tracking = TrackingPages(self.site)
        self.permits = PermitPages(self.site)
        self.permit_payments = PermitPaymentPages(self.permits)
        self.permit_evidence = PermitEvidencePages(self.permits)
        self.permit_manage = PermitManagePages(self.site)
        self.visitors = VisitorPages(self.permit_manage)
        self.carers = CarerPages(self.permit_manage)
        self.permit_renewal = PermitRenewalPages(self.permit_manage)
        self.permit_move = PermitMovePages(self.permit_manage)
        self._app = routes.build(self)

    def resolve(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """The payload 2.0 result for one event. One trailing slash is ignored (`/track/` is `/track`), and a HEAD
        answer has no body."""
        path = str(event.get("rawPath") or "/")
        if len(path) > 1 and path.endswith("/"):
            event = {**event, "rawPath": path[:-1]}
        result = self._app.resolve(event, context)
        if str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper() == "HEAD":
            result["body"] = ""
        return result
