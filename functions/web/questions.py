"""Question pages: one page of a service's questions shown with its answers so far, and its answers posted.

Validation and conditions come from `shared.forms`, the engine the API uses too; address questions go through
`address_flow.AddressFlow`, and a page with a file question is drawn by `file_pages` (whose posts routes.py sends
to `file_pages.FilePages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from shared import forms
from shared.catalogue import Page, Question, ServiceDefinition
from web import file_pages
from web.address_flow import FIND_ACTION, AddressFlow
from web.answers import display_value, form_to_raw
from web.drafts import Draft
from web.http import Reply, Request, redirect
from web.render import question_html
from web.site import Site, service_path

# The part of a compound question an error summary links to when the error names the whole question.
_FIRST_PART = {"date": "day", "address": "line1", "location": "postcode", "contact": "email"}


class QuestionPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def open(self, request: Request, definition: ServiceDefinition, page_id: str) -> tuple[Draft, Page] | Reply:
        """The draft and the page, if the page is one the draft's answers show; otherwise where to go instead."""
        draft, stop = self.site.journey_draft(request, definition)
        if draft is None:
            return stop or self.site.not_found()
        page = definition.page(page_id)
        if page.id not in {p.id for p in forms.visible_pages(definition, draft.answers)}:
            return redirect(self.site.resume_url(definition, draft))
        return draft, page

    def page(self, request: Request, definition: ServiceDefinition, page_id: str) -> Reply:
        opened = self.open(request, definition, page_id)
        if isinstance(opened, Reply):
            return opened
        draft, page = opened
        values = {q.id: display_value(q, draft.answers.get(q.id)) for q in page.questions}
        return self.render_page(request, definition, draft, page, values, [], change=request.arg("change") == "1")

    def render_page(
        self,
        request: Request,
        definition: ServiceDefinition,
        draft: Draft,
        page: Page,
        values: dict[str, Any],
        errors: list[forms.FieldError],
        *,
        change: bool,
        status: int | None = None,
        address_modes: Mapping[str, str] | None = None,
    ) -> Reply:
        token, cookies = self.site.csrf(request, definition, draft.id)
        field_errors = {e["field"]: e["message"] for e in errors}
        page_url = f"{service_path(definition)}/{page.id}"
        views = self.site.address_flow.views(
            page, draft, query=request.query, form=request.form, page_url=page_url, change=change, modes=address_modes
        )
        values = {**values, **{qid: AddressFlow.with_view(values.get(qid), view) for qid, view in views.items()}}
        common = {
            **self.site.service_context(definition),
            "page": page,
            "csrf_token": token,
            "change": change,
            "action": page_url,
            "back_url": self.site.back_url(definition, draft, page.id, change),
            "errors": [
                {
                    "href": AddressFlow.error_target(e["field"], views) or _href(definition, e["field"]),
                    "message": e["message"],
                }
                for e in errors
            ],
            "field_errors": field_errors,
        }
        file_question = file_pages.file_question(page)
        if file_question is not None:
            return file_pages.render(self.site, request, draft, file_question, common, cookies, status)
        items = _page_items(definition, page, draft.answers, values, field_errors)
        return self.site.html("question.html", status or (400 if errors else 200), cookies, items=items, **common)

    def post_page(self, request: Request, definition: ServiceDefinition, draft: Draft, page: Page) -> Reply:
        """(POST, CSRF checked by the route, the page opened) Validate the page's answers and go on, or show them
        again with their errors; "save and come back later" keeps what is valid so far."""
        change = request.field("change") == "1"
        saving = request.field("action") == "save"
        raw = form_to_raw(page, request.form)
        addresses = self.site.address_flow.read(
            page, request.form, draft, finding=request.field("action") == FIND_ACTION, saving=saving
        )
        if addresses.looked_up and not saving:  # show the addresses found (kept in the draft) on the same page
            self.site.save(draft)
            raw.update(addresses.raw)
            return self.render_page(
                request, definition, draft, page, raw, addresses.errors, change=change, address_modes=addresses.modes
            )
        raw.update(addresses.raw)
        result = forms.validate_page(definition, page.id, raw, draft.answers, on=self.site.today())
        refused_ids = {e["field"].split(".", 1)[0] for e in addresses.errors}  # a UPRN not from the lookup
        errors = addresses.errors + [e for e in result.errors if e["field"].split(".", 1)[0] not in refused_ids]
        values = {k: v for k, v in result.values.items() if k not in refused_ids}
        own = {q.id for q in page.questions}
        if saving:  # keep what is valid so far; the page is finished later
            draft.answers = {**{k: v for k, v in draft.answers.items() if k not in own}, **values}
            self.site.save(draft)
            return redirect(f"{service_path(definition)}/save")
        if errors:
            return self.render_page(
                request, definition, draft, page, raw, errors, change=change, address_modes=addresses.modes
            )
        draft.answers = {**{k: v for k, v in draft.answers.items() if k not in own}, **values}
        return self.site.complete(definition, draft, page.id, change)


def _page_items(
    definition: ServiceDefinition,
    page: Page,
    answers: Mapping[str, Any],
    values: Mapping[str, Any],
    field_errors: dict[str, str],
) -> list[dict[str, Any]]:
    """The page's questions to show; a question shown by a choice on the same page nests under that choice."""
    own = {q.id: q for q in page.questions}
    context = forms.shown_answers(definition, {k: v for k, v in answers.items() if k not in own})
    nested: dict[str, dict[str, list[Question]]] = {}
    top: list[Question] = []
    for question in page.questions:
        parent = _same_page_parent(question, own)
        if parent is not None:
            nested.setdefault(parent[0], {}).setdefault(parent[1], []).append(question)
        elif forms.conditions_hold(question.show_if, context):
            top.append(question)
    items = []
    for question in top:
        conditionals = {
            option: Markup("").join(question_html(child, values.get(child.id), field_errors, {}) for child in children)
            for option, children in nested.get(question.id, {}).items()
        }
        items.append({"q": question, "value": values.get(question.id), "conditionals": conditionals})
    return items


def _same_page_parent(question: Question, own: Mapping[str, Question]) -> tuple[str, str] | None:
    """(parent question id, option) when this question is shown by one choice of a choice question on its page."""
    conditions = question.show_if or ()
    if len(conditions) != 1:
        return None
    condition = conditions[0]
    parent = own.get(condition.question)
    if parent is None or parent.type not in ("radios", "yes-no", "checkboxes"):
        return None
    values = condition.values()
    if condition.not_ is not None or len(values) != 1:
        return None
    return parent.id, values[0]


def _href(definition: ServiceDefinition, field: str) -> str:
    """The id of the input an error summary entry links to."""
    question_id, _, part = field.partition(".")
    if part:
        return f"{question_id}-{part}"
    try:
        question = definition.question(question_id)
    except KeyError:
        return "main-content"
    first_part = _FIRST_PART.get(question.type)
    return f"{question.id}-{first_part}" if first_part else question.id
