"""The permit journey's evidence page (`/permits/evidence`): what the zone asks of the chosen permit
(permits.evidence, from the zone's offer): a declaration is a tick box with its words; an upload is a file sent
straight to the quarantine bucket (an S3 POST form: no JavaScript needed), scanned by GuardDuty, and taken (copied
to the uploads bucket as `uploads/parking-permit/<upload id>`) only once its scan is clean and its size and first
bytes fit (PDF, JPG or PNG, up to 10MB): the same path and checks as a service's file question (web/file_pages.py
`settle`). The application then names the clean copy; the parking team checks it before the permit is issued.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from shared import forms
from shared.questions import Question
from shared.uploads import clean_key
from web import permit_journey as journey
from web import security
from web.drafts import Draft
from web.file_pages import SCAN_PENDING_MESSAGE, UPLOAD_AGAIN_MESSAGE, settle
from web.http import Reply, Request, redirect
from web.permit_journey import PERMIT_SERVICE_ID, PERMITS_PATH
from web.permit_pages import PermitPages
from web.uploads import extension_of, new_upload_id, safe_filename

EVIDENCE_URL = f"{PERMITS_PATH}/evidence"
CHECKING_REFRESH_SECONDS = 2


def upload_question(asked: dict[str, Any]) -> Question:
    """The upload as a file question, so the web's upload checks (size, type by name and first bytes) apply."""
    return Question(
        id=asked["kind"],
        type="file",
        label=asked["name"],
        hint=f"Upload {asked['words']}.",
        accept=tuple(asked.get("accept") or ("pdf",)),
        max_size_bytes=int(asked.get("max_bytes") or 7 * 1024 * 1024),
    )


class PermitEvidencePages:
    def __init__(self, pages: PermitPages) -> None:
        self.pages, self.p, self.site = pages, pages.p, pages.site

    def _draft(self, request: Request) -> tuple[Draft | None, Reply | None]:
        draft, reply = self.pages._journey(request)
        if draft is None:
            return None, reply or redirect(PERMITS_PATH)
        if not journey.evidence_asked(draft.answers):
            return None, redirect(journey.next_step_url(draft.answers))
        return draft, None

    def page(self, request: Request) -> Reply:
        draft, reply = self._draft(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        errors: journey.Errors = []
        for asked in journey.evidence_asked(draft.answers):
            if asked["method"] == "upload" and self.site.ports.uploads is not None:
                message = settle(self.site, self.site.ports.uploads, draft, upload_question(asked))
                if message is not None:
                    errors.append({"href": asked["kind"], "message": message})
        return self._render(request, draft, errors, change=request.arg("change") == "1")

    def _render(
        self, request: Request, draft: Draft, errors: journey.Errors, *, change: bool, status: int | None = None
    ) -> Reply:
        given = draft.answers.get("evidence") or {}
        items, waiting = [], False
        for asked in journey.evidence_asked(draft.answers):
            item: dict[str, Any] = {**asked, "declared": bool((given.get(asked["kind"]) or {}).get("declared"))}
            if asked["method"] == "upload":
                pending = draft.uploads.get(asked["kind"])
                taken = (given.get(asked["kind"]) or {}).get("upload")
                if pending is not None:
                    item["file"] = {"filename": pending["filename"], "pending": not pending.get("checked")}
                    waiting = waiting or not pending.get("checked")
                elif taken:
                    item["file"] = {"filename": taken["filename"], "pending": False}
                else:
                    item["upload"] = self._form(request, draft, upload_question(asked), change)
                item["accept"] = ",".join(f".{e}" for e in asked.get("accept") or ()) + ",.jpeg"
                item["limit"] = forms.file_size_message(upload_question(asked)).removeprefix(
                    "The selected file must be "
                )
            items.append(item)
        return self.p.form_page(
            request,
            draft,
            "permit_evidence.html",
            status or (400 if errors else 200),
            items=items,
            action=EVIDENCE_URL,
            errors=errors,
            field_errors={e["href"]: e["message"] for e in errors},
            change=change,
            refresh_seconds=CHECKING_REFRESH_SECONDS if waiting and not errors else None,
            back_url=journey.step_url("check-answers") if change else journey.step_url("email"),
        )

    def _form(self, request: Request, draft: Draft, question: Question, change: bool) -> Any:
        uploads = self.site.ports.uploads
        if uploads is None:
            return None
        upload_id = new_upload_id()
        token = security.upload_token(draft.id, question.id, upload_id, now=self.site.clock())
        back = f"{request.origin}{EVIDENCE_URL}/uploaded?t={quote(token, safe='')}" + ("&change=1" if change else "")
        return uploads.form(draft_id=draft.id, upload_id=upload_id, redirect_url=back, max_bytes=question.max_bytes)

    def uploaded(self, request: Request) -> Reply:
        """Where S3 sends the browser after an upload to the quarantine bucket: the file waits for its scan."""
        draft, reply = self._draft(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        change = request.arg("change") == "1"
        claims = security.read_upload_token(request.arg("t"), now=self.site.clock())
        key, etag, uploads = request.arg("key"), request.arg("etag"), self.site.ports.uploads
        asked = next(
            (a for a in journey.evidence_asked(draft.answers) if claims and a["kind"] == claims.get("q")), None
        )
        if (
            asked is None
            or asked["method"] != "upload"
            or uploads is None
            or claims is None
            or claims.get("d") != draft.id
            or not key.startswith(f"{draft.id}/{claims.get('u')}/")
            or not etag
            or str(claims.get("u")) in draft.spent_uploads
        ):
            if uploads is not None and claims is not None and key.startswith(f"{draft.id}/"):
                uploads.discard(key)
            return self._render(request, draft, [{"href": "evidence", "message": UPLOAD_AGAIN_MESSAGE}], change=change)
        question = upload_question(asked)
        previous = draft.uploads.get(question.id)
        if previous is not None and (previous["key"], previous["etag"]) == (key, etag):
            return redirect(EVIDENCE_URL + ("?change=1" if change else ""))  # the same redirect again (reloaded)
        filename = safe_filename(key)
        extension = extension_of(filename)
        if extension not in (question.accept or ()):  # told at once: the name alone settles it
            uploads.discard(key)
            message = forms.file_type_message(question)
            return self._render(request, draft, [{"href": question.id, "message": message}], change=change)
        if previous is not None:
            uploads.discard(previous["key"])
            draft.spend_upload(previous["upload_id"])
        given = draft.answers.setdefault("evidence", {})
        draft.spend_upload(str(((given.get(question.id) or {}).get("upload") or {}).get("upload_id", "")))
        given.pop(question.id, None)
        draft.uploads[question.id] = {
            "key": key,
            "etag": etag,
            "upload_id": str(claims["u"]),
            "filename": filename,
            "content_type": forms.FILE_TYPES[extension][0],
            "checked": False,
        }
        self.p.save(draft)
        return redirect(EVIDENCE_URL + ("?change=1" if change else ""))

    def post(self, request: Request) -> Reply:
        """(POST) Remove a file, or Continue: each declaration ticked and each file scanned clean and taken."""
        draft, reply = self._draft(request)
        if draft is None:
            return reply or redirect(PERMITS_PATH)
        change = request.field("change") == "1"
        removing = request.field("remove")
        if removing:
            self._remove(draft, removing)
            return redirect(EVIDENCE_URL + ("?change=1" if change else ""))
        given = draft.answers.setdefault("evidence", {})
        errors: journey.Errors = []
        for asked in journey.evidence_asked(draft.answers):
            if asked["method"] == "declaration":
                if request.field(f"declare-{asked['kind']}") == "yes":
                    given[asked["kind"]] = {"declared": True}
                else:
                    given.pop(asked["kind"], None)
                    errors.append({"href": f"declare-{asked['kind']}", "message": "Tick the box to make the "
                                   f"declaration: {asked['words']}"})  # fmt: skip
                continue
            message = self._take(draft, asked)
            if message is not None:
                errors.append({"href": asked["kind"], "message": message})
        self.p.save(draft)
        if errors:
            return self._render(request, draft, errors, change=change)
        return redirect(journey.next_step_url(draft.answers))

    def _take(self, draft: Draft, asked: dict[str, Any]) -> str | None:
        """The file scanned clean copied to the uploads bucket and named in the answers; or why it is not."""
        question, uploads = upload_question(asked), self.site.ports.uploads
        given = draft.answers["evidence"]
        pending = draft.uploads.get(question.id)
        if pending is None:
            if (given.get(question.id) or {}).get("upload"):
                return None
            return f"Upload {asked['words']}"
        if uploads is None:
            return UPLOAD_AGAIN_MESSAGE
        message = settle(self.site, uploads, draft, question)
        if message is not None:
            return message
        if not pending.get("checked"):
            return SCAN_PENDING_MESSAGE
        draft.uploads.pop(question.id)
        key = clean_key(PERMIT_SERVICE_ID, pending["upload_id"])
        if not uploads.release(pending["key"], pending["etag"], key, pending["filename"], pending["content_type"]):
            uploads.discard(pending["key"])  # replaced since it was checked: neither version is taken
            return UPLOAD_AGAIN_MESSAGE
        given[question.id] = {
            "upload": {
                "upload_id": pending["upload_id"],
                "filename": pending["filename"],
                "content_type": pending["content_type"],
                "size_bytes": pending["size_bytes"],
            }
        }
        return None

    def _remove(self, draft: Draft, kind: str) -> None:
        pending = draft.uploads.pop(kind, None)
        uploads = self.site.ports.uploads
        if pending is not None and uploads is not None:
            uploads.discard(pending["key"])
        given = draft.answers.get("evidence") or {}
        taken = (given.pop(kind, None) or {}).get("upload") or {}
        for removed in (pending or {}, taken):
            draft.spend_upload(str(removed.get("upload_id", "")))
        self.p.save(draft)
