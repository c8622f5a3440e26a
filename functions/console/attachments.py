"""The files a resident sent with a request (issue 11 item 4): listed on the case page, downloaded through a console
route that audits first and then redirects to a presigned S3 GET valid for `LINK_SECONDS`, for clean files only.

A file answer names an upload (`upload_id`, filename, type, size). The uploads bucket holds only files GuardDuty
found clean (shared/uploads.py): a file is *clean* when its object is there, under its service's prefix, with the
size and type the answer says (one HEAD, authorised as s3:GetObject, the console's only grant on the bucket).
Anything else is *not available*, and no link is made for it: it was never released from quarantine (still being
checked, or blocked as infected: the console cannot tell which, it never reads the quarantine bucket), or it is past
its service's retention. A download of such a file is refused (and the refusal audited).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from console.app import Page, StaffRequest, redirect
from console.audit import AuditLog
from console.permissions import StaffMember
from console.queue import CaseQueue
from shared.catalogue import load_catalogue
from shared.references import normalise_reference
from shared.uploads import CleanUpload, clean_key

LINK_SECONDS = 60  # how long a download link works: long enough to follow the redirect, too short to share
ACTION = "download-attachment"
NOT_AVAILABLE = (
    "This file cannot be downloaded: it is not among the scanned-clean uploads. It may still be being checked for "
    "viruses, have been blocked, or be past its retention."
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
    clean: bool

    @property
    def size(self) -> str:
        kib = self.size_bytes / 1024
        return f"{kib / 1024:.1f} MB" if kib >= 1024 else f"{max(kib, 0.1):.1f} KB"


def download_name(filename: str) -> str:
    """The resident's filename, safe inside a Content-Disposition header (ASCII letters, digits, . - _)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._")[:100]
    return name or "file"


def attachments(case: dict[str, Any], store: CleanStore) -> list[Attachment]:
    """The case's file answers, in the service's question order, each found clean or not."""
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
        found.append(
            Attachment(
                question=question.id,
                label=str(question.label),
                filename=str(value.get("filename", "")),
                size_bytes=size,
                content_type=content_type,
                key=key,
                clean=stored is not None and (stored.size_bytes, stored.content_type) == (size, content_type),
            )
        )
    return found


class AttachmentsPanel:
    """The case page's list of files, each with its download link or why there is none."""

    template = "partials/attachments.html"

    def __init__(self, store: CleanStore) -> None:
        self.store = store

    def context(self, staff: StaffMember, case: dict[str, Any], request: StaffRequest) -> dict[str, Any]:
        return {"files": attachments(case, self.store), "reference": case["reference"], "seconds": LINK_SECONDS}


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
            return self._refused(request, 409, NOT_AVAILABLE, case_page)
        return redirect(self.store.link(wanted.key, filename=wanted.filename, seconds=LINK_SECONDS))

    def _refused(self, request: StaffRequest, status: int, message: str, back: str = "") -> Page:
        title = "This file cannot be downloaded" if status == 409 else "No such file" if back else "No case found"
        return self.render("message.html", request, status=status, title=title, message=message, back=back)
