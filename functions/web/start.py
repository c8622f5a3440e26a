"""Finding a service and starting it: the home page (all services by topic, with a search), a service's start
page, and beginning (or restarting) a draft."""

from __future__ import annotations

from aws_lambda_powertools.shared.cookies import Cookie

from shared.catalogue import FixedFee, ServiceDefinition
from web.answers import format_pence
from web.http import Reply, Request, redirect
from web.site import Site

MAX_QUERY_LENGTH = 100


class StartPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def home(self, request: Request) -> Reply:
        query = " ".join(request.arg("q").split())[:MAX_QUERY_LENGTH]
        words = query.lower().split()
        topics: dict[str, list[ServiceDefinition]] = {}
        for definition in self.site.catalogue.values():
            text = " ".join((definition.title, definition.summary, definition.topic, *definition.keywords)).lower()
            if all(word in text for word in words):
                topics.setdefault(definition.topic, []).append(definition)
        grouped = [{"title": name, "services": topics[name]} for name in sorted(topics)]
        count = sum(len(services) for services in topics.values())
        reply = self.site.html("home.html", topics=grouped, query=query, count=count)
        reply.headers["cache-control"] = "no-cache"
        return reply

    def start(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, _ = self.site.load(request, definition)
        in_progress = draft is not None and not draft.submitted and bool(draft.completed)
        token, cookies = "", list[Cookie]()
        if draft is not None and in_progress:
            token, cookies = self.site.csrf(request, definition, draft.id)
        return self.site.html(
            "start.html",
            cookies=cookies,
            **self.site.service_context(definition),
            draft_in_progress=in_progress,
            draft_expires=draft.expiry_date() if draft else "",
            continue_url=self.site.resume_url(definition, draft) if draft else "",
            csrf_token=token,
            fee_text=fee_text(definition) if definition.charges else "",
        )

    def begin(self, request: Request, definition: ServiceDefinition) -> Reply:
        draft, _ = self.site.load(request, definition)
        if draft is not None and not draft.submitted:
            return redirect(self.site.resume_url(definition, draft))
        draft, cookies = self.site.new_draft(request, definition)
        return redirect(self.site.resume_url(definition, draft), cookies=cookies)

    def restart(self, request: Request, definition: ServiceDefinition) -> Reply:
        """(POST, CSRF checked by the route) Forget the draft in progress and start a new one."""
        draft, _ = self.site.load(request, definition)
        if draft is not None:
            self.site.ports.drafts.delete(draft.id)
        draft, cookies = self.site.new_draft(request, definition)
        return redirect(self.site.resume_url(definition, draft), cookies=cookies)


def fee_text(definition: ServiceDefinition) -> str:
    fee = definition.fee
    if isinstance(fee, FixedFee):
        return f"It costs {format_pence(fee.amount_pence)}. You pay after you send your request."
    return "There is a fee. We will show you how much before you send your request, and you pay after you send it."
