"""Find an address by postcode on an `address` question, without JavaScript (GOV.UK's address lookup pattern).

An address question is shown in one of three modes, each posting a hidden `<id>.mode`:

- `find`: a postcode (`<id>.find-postcode`) and a "Find address" button (`action=find-address`); Continue with a
  postcode typed finds too. The lookup's result is kept in the draft (`Draft.lookups`) and the page shown again.
- `select`: "N addresses found for <postcode>", "Change postcode", a select of the addresses (`<id>.uprn`) and "I
  cannot find the address in the list". The chosen UPRN is looked for **in the result kept in the draft**, and the
  answer is that stored address: nothing the browser sends but the UPRN is used, and a UPRN that is not in the
  result is refused ("Select an address from the list") with nothing saved.
- `manual`: the address typed in its parts (as before lookups existed). Used when lookups are not available (no
  key), when the lookup failed, or when the resident asks for it (`?manual=1`).

A posted `<id>.uprn` is only ever accepted from the stored result, whatever the mode. The mode itself is trusted
only to say which fields the page had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared import forms
from shared.catalogue import Page, Question
from shared.location import POSTCODE_MESSAGE, normalise_postcode
from web.addresses import Address, AddressLookup, AddressLookupFailed
from web.drafts import Draft
from web.http import with_query

FIND_ACTION = "find-address"
MODES = ("find", "select", "manual")
ENTER_POSTCODE_MESSAGE = "Enter a postcode"
CHOOSE_MESSAGE = "Select an address"
NOT_IN_LIST_MESSAGE = "Select an address from the list"
UNAVAILABLE_MESSAGE = "We could not look up addresses just now. Enter the address manually"
LOOKUP_FAILURES_METRIC = "AddressLookupFailures"
LOOKUP_KEY_REFUSED_METRIC = "AddressLookupKeyRefused"  # stacks/observability_stack.py alarms on it


@dataclass
class Posted:
    """What an address page's POST said about its address questions."""

    raw: dict[str, Any] = field(default_factory=dict)  # question id -> the raw answer to validate instead
    errors: list[forms.FieldError] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)
    looked_up: bool = False  # a find was asked for: show the page again rather than move on


def address_questions(page: Page) -> list[Question]:
    return [q for q in page.questions if q.type == "address"]


class AddressFlow:
    def __init__(self, lookup: AddressLookup | None) -> None:
        self.lookup = lookup

    def available(self) -> bool:
        return self.lookup is not None and self.lookup.available()

    # -- a POST -----------------------------------------------------------------------------------------------
    def read(
        self, page: Page, form: Mapping[str, Sequence[str]], draft: Draft, *, finding: bool, saving: bool = False
    ) -> Posted:
        """The page's address questions as posted; with `finding` (or a postcode typed on a find page, unless
        `saving`), look the postcode up and keep the result in the draft."""
        posted = Posted()
        for question in address_questions(page):
            mode = _field(form, question, "mode")
            mode = mode if mode in MODES else "manual"
            posted.modes[question.id] = mode
            typed = _field(form, question, "find-postcode").strip()
            if mode == "find" and not saving and (finding or typed):
                posted.looked_up = True
                self._find(question, typed, draft, posted)
            elif mode == "find":
                posted.raw[question.id] = {}  # nothing typed: the question's required message
            else:
                self._chosen(question, _field(form, question, "uprn").strip(), mode, draft, posted)
        return posted

    def _find(self, question: Question, typed: str, draft: Draft, posted: Posted) -> None:
        postcode = normalise_postcode(typed) if typed else None
        if postcode is None:
            message = POSTCODE_MESSAGE if typed else ENTER_POSTCODE_MESSAGE
            posted.errors.append({"field": f"{question.id}.find-postcode", "message": message})
            return
        state: dict[str, Any] = {"postcode": postcode, "addresses": [], "failed": False}
        try:
            if self.lookup is None or not self.lookup.available():
                raise AddressLookupFailed("not-configured")  # a find page from before the key went away
            state["addresses"] = [a.to_json() for a in self.lookup.by_postcode(postcode)]
        except AddressLookupFailed as failure:
            from shared.observability import logger, metrics

            logger.warning("Address lookup failed", extra={"reason": failure.reason, "status": failure.status})
            # Every failure is counted (the dashboard); a refused key alarms: no lookup works until it is fixed.
            metrics.add_metric(name=LOOKUP_FAILURES_METRIC, unit="Count", value=1)
            if failure.reason == "unauthorised":
                metrics.add_metric(name=LOOKUP_KEY_REFUSED_METRIC, unit="Count", value=1)
            state["failed"] = True
            posted.raw[question.id] = {"postcode": postcode}  # the manual fields start with the postcode typed
        draft.lookups[question.id] = state
        posted.modes[question.id] = "select" if state["addresses"] else ("manual" if state["failed"] else "find")

    def _chosen(self, question: Question, uprn: str, mode: str, draft: Draft, posted: Posted) -> None:
        if not uprn:
            if mode == "select":
                posted.errors.append({"field": f"{question.id}.uprn", "message": CHOOSE_MESSAGE})
            return  # manual: the typed parts, with no UPRN
        chosen = next((a for a in stored_addresses(draft, question.id) if a.uprn == uprn), None)
        if chosen is None:  # not what the lookup found for this draft: tampered with, or a stale page
            posted.errors.append({"field": f"{question.id}.uprn", "message": NOT_IN_LIST_MESSAGE})
            posted.modes[question.id] = "select" if stored_addresses(draft, question.id) else "find"
            return
        posted.raw[question.id] = chosen.answer()

    # -- rendering --------------------------------------------------------------------------------------------
    def views(
        self,
        page: Page,
        draft: Draft,
        *,
        query: Mapping[str, Sequence[str]],
        form: Mapping[str, Sequence[str]],
        page_url: str,
        change: bool,
        modes: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """For each address question of the page: its mode and what the template shows with it."""
        questions = address_questions(page)
        if not questions:
            return {}
        available = self.available()
        views = {}
        for question in questions:
            state = draft.lookups.get(question.id) or {}
            mode = (modes or {}).get(question.id) or self._mode(question, draft, query, available)
            if not available:
                mode = "manual"
            answer = draft.answers.get(question.id) or {}
            typed = _field(form, question, "find-postcode")
            addresses = stored_addresses(draft, question.id)
            posted_uprn = _field(form, question, "uprn")
            views[question.id] = {
                "mode": mode,
                "available": available,
                "postcode": (typed if mode == "find" else "") or state.get("postcode") or answer.get("postcode", ""),
                "addresses": [{"uprn": a.uprn, "text": a.text} for a in addresses],
                "selected": posted_uprn or answer.get("uprn", ""),
                "not_found": bool(state)
                and not state.get("failed")
                and not addresses
                and normalise_postcode(typed or state.get("postcode", "")) == state.get("postcode"),
                "failed": bool(state.get("failed")) and mode == "manual",
                "manual_url": with_query(page_url, manual="1", change="1" if change else ""),
                "find_url": with_query(page_url, find="1", change="1" if change else ""),
            }
        return views

    @staticmethod
    def _mode(question: Question, draft: Draft, query: Mapping[str, Sequence[str]], available: bool) -> str:
        if not available or (query.get("manual") or [""])[0] == "1":
            return "manual"
        if (query.get("find") or [""])[0] == "1":
            return "find"
        answer = draft.answers.get(question.id)
        if answer and not answer.get("uprn"):
            return "manual"  # typed in before: show it as typed
        if stored_addresses(draft, question.id):
            return "select"
        state = draft.lookups.get(question.id) or {}
        return "manual" if state.get("failed") else "find"

    @staticmethod
    def with_view(value: Any, view: Mapping[str, Any]) -> dict[str, Any]:
        """An address question's value for the template: its parts and its view; in manual mode with nothing typed
        or answered yet, the postcode that was looked up."""
        shown = {**(value if isinstance(value, dict) else {}), "lookup": view}
        if view["mode"] == "manual" and value is None:
            shown["postcode"] = view["postcode"]
        return shown

    @staticmethod
    def error_target(field_name: str, views: Mapping[str, Mapping[str, Any]]) -> str | None:
        """Where an error summary link for a whole address question goes, in find and select modes."""
        view = views.get(field_name)
        if view is None:
            return None
        return {"find": f"{field_name}-find-postcode", "select": f"{field_name}-uprn"}.get(view["mode"])


def stored_addresses(draft: Draft, question_id: str) -> list[Address]:
    state = draft.lookups.get(question_id) or {}
    return [Address.from_json(a) for a in state.get("addresses", [])]


def _field(form: Mapping[str, Sequence[str]], question: Question, part: str) -> str:
    values = form.get(f"{question.id}.{part}") or ("",)
    return str(values[0])
