"""Pages with a file question: the upload form (straight to the quarantine bucket), where S3 sends the resident
back, the "we are checking your file" page (it refreshes itself until the virus scan's result is in), and Continue,
which takes the file once it is scanned clean and checked (web/uploads.py says how).

An upload waiting in the draft (`Draft.uploads`) is `checked` once its scan came back clean and its size and first
bytes fit the question; only then is the object itself read, and always the one S3 stored first (its ETag).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.shared.cookies import Cookie

from shared import forms
from shared.catalogue import Page, Question, ServiceDefinition
from shared.uploads import clean_key
from web import security
from web.drafts import Draft
from web.http import Reply, Request, redirect, with_query
from web.site import Site, service_path
from web.uploads import StoredFile, Uploads, extension_of, new_upload_id, safe_filename, sniff_extension

VIRUS_MESSAGE = "The selected file contains a virus"
SCAN_PENDING_MESSAGE = "We are still checking your file for viruses. Wait a few seconds, then select Continue"
SCAN_FAILED_MESSAGE = "The selected file could not be checked for viruses. Upload a different file"
UPLOAD_AGAIN_MESSAGE = "The selected file could not be uploaded. Try again"
CHECKING_REFRESH_SECONDS = 2  # the checking page asks again this often (a meta refresh: no JavaScript needed)

# questions.QuestionPages.render_page: the page drawn again with errors (passed in, so the two modules need not
# import each other).
RenderPage = Callable[..., Reply]


def file_question(page: Page) -> Question | None:
    return next((q for q in page.questions if q.type == "file"), None)


def render(
    site: Site,
    request: Request,
    draft: Draft,
    question: Question,
    common: dict[str, Any],
    cookies: list[Cookie],
    status: int | None,
) -> Reply:
    """The file page: the file uploaded so far (being checked, or ready), or a form to upload one."""
    if site.ports.uploads is not None and question.id in draft.uploads:
        message = settle(site, site.ports.uploads, draft, question)
        if message is not None:
            common = {
                **common,
                "errors": [*common["errors"], {"href": question.id, "message": message}],
                "field_errors": {**common["field_errors"], question.id: message},
            }
    pending = draft.uploads.get(question.id)
    answer = draft.answers.get(question.id)
    uploaded = None
    if pending is not None:
        uploaded = {"filename": pending["filename"], "pending": not pending.get("checked")}
    elif answer:
        uploaded = {"filename": answer["filename"], "pending": False}
    upload_form = None
    if uploaded is None and site.ports.uploads is not None:
        upload_id = new_upload_id()
        token = security.upload_token(draft.id, question.id, upload_id, now=site.clock())
        redirect_url = f"{request.origin}{common['action']}/uploaded?t={quote(token, safe='')}"
        upload_form = site.ports.uploads.form(
            draft_id=draft.id, upload_id=upload_id, redirect_url=redirect_url, max_bytes=question.max_bytes
        )
    accept = ",".join(f".{ext}" for ext in question.accept or ()) + (
        ",.jpeg" if "jpg" in (question.accept or ()) else ""
    )
    failed = bool(common["errors"])
    return site.html(
        "file.html",
        status or (400 if failed else 200),
        cookies,
        q=question,
        uploaded=uploaded,
        upload=upload_form,
        accept=accept,
        refresh_seconds=CHECKING_REFRESH_SECONDS if uploaded and uploaded["pending"] else None,
        **common,
    )


def settle(site: Site, uploads: Uploads, draft: Draft, question: Question) -> str | None:
    """Move the question's waiting upload on as far as its scan allows; the error to show if it is refused.

    Still being scanned: nothing is read (the bucket policy would refuse it). Scanned clean: its size and first
    bytes are checked against the question, and it is marked `checked`. Anything else: it is deleted.
    """
    pending = draft.uploads.get(question.id)
    if pending is None or pending.get("checked"):
        return None
    status = uploads.scan_status(pending["key"])
    if status == "pending":
        return None
    message = None
    if status == "clean":
        stored = uploads.stored(pending["key"], pending["etag"])
        message = _refusal(question, pending["filename"], stored)
        if message is None and stored is not None:
            pending.update(checked=True, size_bytes=stored.size_bytes)
            site.save(draft)
            return None
    if status != "missing":
        uploads.discard(pending["key"])
    draft.uploads.pop(question.id)
    site.save(draft)
    if status == "infected":
        return VIRUS_MESSAGE
    if status == "failed":
        return SCAN_FAILED_MESSAGE
    return message or UPLOAD_AGAIN_MESSAGE


def _refusal(question: Question, filename: str, stored: StoredFile | None) -> str | None:
    """Why this stored file cannot answer the question (None: it can)."""
    extension = extension_of(filename)
    if stored is None:
        return UPLOAD_AGAIN_MESSAGE  # gone, or replaced since it arrived (another ETag)
    if stored.size_bytes == 0:
        return forms.DEFAULT_MESSAGES["file_empty"]
    if stored.size_bytes > question.max_bytes:
        return forms.file_size_message(question)
    if extension not in (question.accept or ()) or extension not in sniff_extension(stored.head):
        return forms.file_type_message(question)
    return None


class FilePages:
    def __init__(self, site: Site, render_page: RenderPage) -> None:
        self.site = site
        self.render_page = render_page

    def uploaded(self, request: Request, definition: ServiceDefinition, page_id: str) -> Reply:
        """Where S3 sends the browser after an upload to the quarantine bucket."""
        draft, stop = self.site.journey_draft(request, definition)
        if draft is None:
            return stop or self.site.not_found()
        page = definition.page(page_id)
        question = file_question(page)
        claims = security.read_upload_token(request.arg("t"), now=self.site.clock())
        key = request.arg("key")
        uploads = self.site.ports.uploads
        if (
            question is None
            or uploads is None
            or claims is None
            or claims.get("d") != draft.id
            or claims.get("q") != question.id
            or not key.startswith(f"{draft.id}/{claims.get('u')}/")
        ):
            return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        etag = request.arg("etag")
        filename = safe_filename(key)
        if not etag:
            return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        previous = draft.uploads.get(question.id)
        answered = draft.answers.get(question.id) or {}
        if str(claims.get("u")) in draft.spent_uploads:
            uploads.discard(key)  # the form of a file removed or replaced: spent
            return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        if previous is None and answered.get("upload_id") == claims.get("u"):
            uploads.discard(key)  # the form of a file already taken, used again: one upload per form
            return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        if previous is not None and previous["upload_id"] == claims.get("u"):
            if (previous["key"], previous["etag"]) == (key, etag):
                return redirect(f"{service_path(definition)}/{page.id}")  # the same redirect again (reloaded)
            # The same form used again: one upload per form. Neither object is taken.
            uploads.discard(key)
            uploads.discard(previous["key"])
            draft.uploads.pop(question.id)
            self.site.save(draft)
            return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
        extension = extension_of(filename)
        if extension not in (question.accept or ()):  # told at once: the name alone settles it
            uploads.discard(key)
            return self._error(request, definition, draft, page, question, forms.file_type_message(question))
        if previous is not None:
            uploads.discard(previous["key"])
            draft.spend_upload(previous["upload_id"])
        draft.spend_upload(str(answered.get("upload_id", "")))
        draft.answers.pop(question.id, None)
        # Nothing of the object is read yet: it is checked once its scan is in (see `settle`).
        draft.uploads[question.id] = {
            "key": key,
            "etag": etag,
            "upload_id": str(claims["u"]),
            "filename": filename,
            "content_type": forms.FILE_TYPES[extension][0],
            "checked": False,
        }
        self.site.save(draft)
        return redirect(f"{service_path(definition)}/{page.id}")

    def _error(
        self,
        request: Request,
        definition: ServiceDefinition,
        draft: Draft,
        page: Page,
        question: Question | None,
        message: str,
    ) -> Reply:
        errors: list[forms.FieldError] = [{"field": question.id if question else "file", "message": message}]
        return self.render_page(request, definition, draft, page, {}, errors, change=False)

    def _remove(
        self, definition: ServiceDefinition, draft: Draft, page: Page, question: Question, change: bool
    ) -> Reply:
        """Remove this file: the file goes, and the form it came through is spent."""
        pending = draft.uploads.get(question.id)
        uploads = self.site.ports.uploads
        if pending is not None and uploads is not None:
            uploads.discard(pending["key"])
        for removed in (pending or {}, draft.answers.get(question.id) or {}):
            draft.spend_upload(str(removed.get("upload_id", "")))
        draft.uploads.pop(question.id, None)
        draft.answers.pop(question.id, None)
        if page.id in draft.completed:
            draft.completed.remove(page.id)
        self.site.save(draft)
        return redirect(with_query(f"{service_path(definition)}/{page.id}", change="1" if change else ""))

    def post_page(self, request: Request, definition: ServiceDefinition, draft: Draft, page: Page) -> Reply:
        """(POST, CSRF checked by the route, the page opened) Remove the file, save for later, or Continue."""
        question = file_question(page)
        assert question is not None  # routes.py sends only pages with a file question here
        change = request.field("change") == "1"
        pending = draft.uploads.get(question.id)
        uploads = self.site.ports.uploads
        if request.field("action") == "remove":
            return self._remove(definition, draft, page, question, change)
        if request.field("action") == "save":
            self.site.save(draft)
            return redirect(f"{service_path(definition)}/save")
        if pending is not None and uploads is not None:
            message = settle(self.site, uploads, draft, question)
            if message is not None:
                return self._error(request, definition, draft, page, question, message)
            if not pending.get("checked"):
                return self._error(request, definition, draft, page, question, SCAN_PENDING_MESSAGE)
            key = clean_key(definition.id, pending["upload_id"])
            draft.uploads.pop(question.id)
            if not uploads.release(pending["key"], pending["etag"], key, pending["filename"], pending["content_type"]):
                uploads.discard(pending["key"])  # replaced since it was checked: neither version is taken
                self.site.save(draft)
                return self._error(request, definition, draft, page, question, UPLOAD_AGAIN_MESSAGE)
            draft.answers[question.id] = {
                "upload_id": pending["upload_id"],
                "filename": pending["filename"],
                "content_type": pending["content_type"],
                "size_bytes": pending["size_bytes"],
            }
            self.site.save(draft)
        result = forms.validate_page(
            definition, page.id, {question.id: draft.answers.get(question.id)}, draft.answers, on=self.site.today()
        )
        if not result.ok:
            return self.render_page(request, definition, draft, page, {}, result.errors, change=change)
        return self.site.complete(definition, draft, page.id, change)
