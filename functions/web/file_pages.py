"""Pages with a file question: the upload form (straight to the quarantine bucket), where S3 sends the resident
back, and Continue, which takes the file once its virus scan is clean (web/uploads.py says how)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.shared.cookies import Cookie

from shared import forms
from shared.catalogue import Page, Question, ServiceDefinition
from web import security
from web.drafts import Draft
from web.http import Reply, Request, redirect, with_query
from web.site import Site, service_path
from web.uploads import extension_of, new_upload_id, safe_filename, sniff_extension

VIRUS_MESSAGE = "The selected file contains a virus"
SCAN_PENDING_MESSAGE = "We are still checking your file for viruses. Wait a few seconds, then select Continue"
SCAN_FAILED_MESSAGE = "The selected file could not be checked for viruses. Upload a different file"
UPLOAD_AGAIN_MESSAGE = "The selected file could not be uploaded. Try again"

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
    """The file page: the file uploaded so far (waiting for its scan, or taken), or a form to upload one."""
    pending = draft.uploads.get(question.id)
    answer = draft.answers.get(question.id)
    uploaded = None
    if pending is not None:
        uploaded = {"filename": pending["filename"], "pending": True}
    elif answer:
        uploaded = {"filename": answer["filename"], "pending": False}
    upload_form = None
    if uploaded is None and site.ports.uploads is not None:
        upload_id = new_upload_id()
        token = security.upload_token(draft.id, question.id, upload_id, now=site.clock())
        redirect_url = f"{request.origin}{common['action']}/uploaded?t={quote(token, safe='')}"
        upload_form = site.ports.uploads.form(draft_id=draft.id, upload_id=upload_id, redirect_url=redirect_url)
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
        **common,
    )


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
        stored = uploads.stored(key)
        filename = safe_filename(key)
        extension = extension_of(filename)
        message = None
        if stored is None:
            message = UPLOAD_AGAIN_MESSAGE
        elif stored.size_bytes == 0:
            message = forms.DEFAULT_MESSAGES["file_empty"]
        elif stored.size_bytes > question.max_bytes:
            message = forms.file_size_message(question)
        elif extension not in (question.accept or ()) or extension not in sniff_extension(stored.head):
            message = forms.file_type_message(question)
        if message is not None or stored is None:
            if stored is not None:
                uploads.discard(key)
            return self._error(request, definition, draft, page, question, message or UPLOAD_AGAIN_MESSAGE)
        previous = draft.uploads.pop(question.id, None)
        if previous is not None:
            uploads.discard(previous["key"])
        draft.answers.pop(question.id, None)
        draft.uploads[question.id] = {
            "key": key,
            "upload_id": str(claims["u"]),
            "filename": filename,
            "size_bytes": stored.size_bytes,
            "content_type": forms.FILE_TYPES[extension][0],
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

    def post_page(self, request: Request, definition: ServiceDefinition, draft: Draft, page: Page) -> Reply:
        """(POST, CSRF checked by the route, the page opened) Remove the file, save for later, or Continue."""
        question = file_question(page)
        assert question is not None  # routes.py sends only pages with a file question here
        change = request.field("change") == "1"
        pending = draft.uploads.get(question.id)
        uploads = self.site.ports.uploads
        if request.field("action") == "remove":
            if pending is not None and uploads is not None:
                uploads.discard(pending["key"])
            draft.uploads.pop(question.id, None)
            draft.answers.pop(question.id, None)
            if page.id in draft.completed:
                draft.completed.remove(page.id)
            self.site.save(draft)
            return redirect(with_query(f"{service_path(definition)}/{page.id}", change="1" if change else ""))
        if request.field("action") == "save":
            self.site.save(draft)
            return redirect(f"{service_path(definition)}/save")
        if pending is not None and uploads is not None:
            status = uploads.scan_status(pending["key"])
            if status == "pending":
                return self._error(request, definition, draft, page, question, SCAN_PENDING_MESSAGE)
            if status != "clean":
                uploads.discard(pending["key"])
                draft.uploads.pop(question.id)
                self.site.save(draft)
                message = VIRUS_MESSAGE if status == "infected" else SCAN_FAILED_MESSAGE
                return self._error(request, definition, draft, page, question, message)
            uploads.release(pending["key"], pending["upload_id"], pending["filename"])
            draft.uploads.pop(question.id)
            draft.answers[question.id] = {
                "upload_id": pending["upload_id"],
                "filename": pending["filename"],
                "content_type": pending["content_type"],
                "size_bytes": pending["size_bytes"],
            }
        result = forms.validate_page(
            definition, page.id, {question.id: draft.answers.get(question.id)}, draft.answers, on=self.site.today()
        )
        if not result.ok:
            return self.render_page(request, definition, draft, page, {}, result.errors, change=change)
        return self.site.complete(definition, draft, page.id, change)
