"""The files a resident sent with a request (issue 11 item 4): listed on the case page, downloaded through a console
route that audits first and then redirects to a presigned S3 GET valid for `LINK_SECONDS`, for clean files only.

A file answer names an upload (`upload_id`, filename, type, size): that is all the request records of it. No file
in a request is still being scanned or was blocked as unsafe: the web takes a file into an answer only once
GuardDuty's scan tag says `NO_THREATS_FOUND` (and copies it to the uploads bucket then); a file still being checked
keeps the resident on "we are checking your file", and one found infected, or whose scan failed, is deleted and
refused to the resident at upload (web/file_pages.py `settle`); the catalogue refuses any file answer that names no
clean upload (catalogue/uploads.py). So the case page says of every file that it was scanned clean before the
request was sent, and of each one whether it can be downloaded:

- *clean*: its object is in the uploads bucket, under its service's prefix, with the size and type the answer says
  (one HEAD, authorised as s3:GetObject, the console's only grant on the bucket): a Download link;
- *deleted*: no object: the bucket's lifecycle rule deletes an upload its service's `retention_days` after it was
  uploaded (which was before the request was sent, stacks/constructs/web_data.py), and nothing else deletes one;
- *changed*: an object whose size or type is not the answer's (nothing should write one): not served.

A download of a file that is not clean is refused with the same words (and the refusal audited).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from console.app import Page, StaffRequest, redirect
from console.audit import AuditLog
from console.permissions import StaffMember
from console.queue import CaseQueue
from shared.catalogue import load_catalogue
from shared.references import normalise_reference
from shared.uploads import CleanUpload, clean_key

LINK_SECONDS = 60  # how long a download link works: long enough to follow the redirect, too short to share
ACTION = "download-attachment"
FileState = Literal["clean", "deleted", "changed"]
SCANNED = (
    "Every file here was scanned for viruses and found clean before the request was sent: the website takes a file "
    "only once its scan is in, and refuses one found unsafe when it is uploaded, so none is still being checked or "
    "was blocked."
)


class CleanStore(Protocol):
    """The uploads bucket: what is there, and a short-lived link to read it."""

    def find(self, key: str) -> CleanUpload | None: ...
    def link(self, key: str, *, filename: str, seconds: int) -> str: ...


class S3CleanStore:
    def __init__(self, bucket: str) -> None:
        from shared.uploads import S3CleanUploads

        self.bucket = bucket
        self._uploads = S3CleanUploads(bucket=bucket) if bucket else None

    def find(self, key: str) -> CleanUpload | None:
        return self._uploads.find(key) if self._uploads is not None else None

    def link(self, key: str, *, filename: str, seconds: int) -> str:
        from shared import aws

        url: str = aws.client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{download_name(filename)}"',
            },
            ExpiresIn=seconds,
        )
        return url


@dataclass(frozen=True)
class Attachment:
    question: str  # the question's id (in the download's path)
    label: str  # the question's label
    filename: str  # as the resident named it (escaped by the template)
    size_bytes: int
    content_type: str
    key: str  # where its clean copy is
    state: FileState
    retention_days: int = 0  # how long its service keeps an upload
    sent: str = ""  # the day the request was sent, in words (the file was uploaded before)

    @property
    def clean(self) -> bool:
        return self.state == "clean"

    @property
    def size(self) -> str:
        kib = self.size_bytes / 1024
        return f"{kib / 1024:.1f} MB" if kib >= 1024 else f"{max(kib, 0.1):.1f} KB"

    @property
    def why(self) -> str:
        """Why there is no download ("" for a clean file): on the case page and in the download's refusal."""
        if self.state == "deleted":
            sent = f" (the request was sent on {self.sent})" if self.sent else ""
            return (
                f"Deleted: this service keeps a file for {self.retention_days} days after it is uploaded, and this one "
                f"was uploaded before the request was sent{sent}. It was not blocked: it was scanned clean."
            )
        if self.state == "changed":
            return (
                "Withheld: the stored file is not the size or type the resident sent, so it is not served. It was "
                "scanned clean when it was uploaded; report this to the service's administrators."
            )
        return ""


def download_name(filename: str) -> str:
    """The resident's filename, safe inside a Content-Disposition header (ASCII letters, digits, . - _)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._")[:100]
    return name or "file"


def attachments(case: dict[str, Any], store: CleanStore) -> list[Attachment]:
    """The case's file answers, in the service's question order, each with its state (module docstring)."""
    definition = load_catalogue().get(str(case.get("service_id", "")))
    answers = case.get("answers") or {}
    if definition is None:
        return []
    found = []
    for _, question in definition.questions():
        value = answers.get(question.id)
        if question.type != "file" or not isinstance(value, dict) or not value.get("upload_id"):
            continue
        key = clean_key(definition.id, str(value["upload_id"]))
        size, content_type = int(value.get("size_bytes", 0)), str(value.get("content_type", ""))
        stored = store.find(key)
        state: FileState = "deleted" if stored is None else "clean"
        if stored is not None and (stored.size_bytes, stored.content_type) != (size, content_type):
            state = "changed"
        found.append(
            Attachment(
                question=question.id,
                label=str(question.label),
                filename=str(value.get("filename", "")),
                size_bytes=size,
                content_type=content_type,
                key=key,
                state=state,
                retention_days=definition.retention_days,
                sent=_day(case.get("submitted_at")),
            )
        )
    return found


def _day(stamp: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    return f"{moment.day} {moment:%B %Y}"


class AttachmentsPanel:
    """The case page's list of files, each with its download link or why there is none."""

    template = "partials/attachments.html"

    def __init__(self, store: CleanStore) -> None:
        self.store = store

    def context(self, staff: StaffMember, case: dict[str, Any], request: StaffRequest) -> dict[str, Any]:
        files = attachments(case, self.store)
        return {"files": files, "reference": case["reference"], "seconds": LINK_SECONDS, "scanned": SCANNED}


class AttachmentDownloads:
    """The download route's view (console/routes.py): the case one of the staff member's teams', the file clean,
    the download audited, then a redirect to a link valid for `LINK_SECONDS`."""

    def __init__(self, cases: CaseQueue, audit: AuditLog, store: CleanStore, render: Callable[..., Page]) -> None:
        self.cases, self.audit, self.store, self.render = cases, audit, store, render

    def download_attachment(self, request: StaffRequest, reference: str, question: str) -> Page:
        assert request.staff is not None  # the guard let only signed-in staff with read-case through
        staff = request.staff
        canonical = normalise_reference(reference[:32])
        case = self.cases.case(canonical) if canonical else None
        if case is None or not staff.works_for(case.get("team")):
            return self._refused(request, 404, "None of your teams has a case with that reference.")
        case_page = f"/staff/cases/{case['reference']}"
        wanted = next((a for a in attachments(case, self.store) if a.question == question[:64]), None)
        if wanted is None:
            return self._refused(request, 404, "This case has no file for that question.", case_page)
        # Before the link: a download that cannot be accounted for is not made. A refused one is recorded too.
        action = ACTION if wanted.clean else f"{ACTION}-refused"
        details = {"question": wanted.question, "upload": wanted.key.rsplit("/", 1)[-1]}
        self.audit.record(staff, action, case["reference"], source_ip=request.source_ip, details=details)
        if not wanted.clean:
            return self._refused(request, 409, f"This file cannot be downloaded. {wanted.why}", case_page)
        return redirect(self.store.link(wanted.key, filename=wanted.filename, seconds=LINK_SECONDS))

    def _refused(self, request: StaffRequest, status: int, message: str, back: str = "") -> Page:
        title = "This file cannot be downloaded" if status == 409 else "No such file" if back else "No case found"
        return self.render("message.html", request, status=status, title=title, message=message, back=back)
