"""File answers: the browser posts the file straight to the quarantine bucket (an S3 POST form, no JavaScript
needed, nothing large through Lambda), S3 sends the resident back to us, and the file is read and released to the
clean bucket only once GuardDuty Malware Protection for S3 has tagged it `NO_THREATS_FOUND`.

The quarantine bucket's policy denies `s3:GetObject` (which HeadObject and CopyObject's source need too) on an
object not tagged clean: until then only its tags are read (`s3:GetObjectTagging`). Every read after that names the
ETag S3 gave when the file arrived, so an object replaced with the same form since is refused, not taken.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from shared.catalogue import FILE_TYPES
from shared.uploads import CLEAN, SCAN_TAG

UPLOAD_FORM_SECONDS = 30 * 60
HEAD_BYTES = 32  # enough to tell every accepted format by its magic bytes

ScanStatus = Literal["pending", "clean", "infected", "failed", "missing"]


@dataclass(frozen=True)
class UploadForm:
    action: str
    fields: dict[str, str]


@dataclass(frozen=True)
class StoredFile:
    size_bytes: int
    head: bytes  # the first bytes, to tell the real type from the name


def new_upload_id() -> str:
    return secrets.token_urlsafe(16)


def sniff_extension(head: bytes) -> set[str]:
    """The extensions whose format these first bytes could be (a renamed file is caught here)."""
    if head.startswith(b"\xff\xd8\xff"):
        return {"jpg"}
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if head.startswith(b"%PDF-"):
        return {"pdf"}
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return {"heic"}
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return {"doc"}
    if head.startswith(b"PK\x03\x04"):
        return {"docx", "odt"}
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return set()
    return {"txt"}


def extension_of(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {"jpeg": "jpg", "heif": "heic"}.get(extension, extension)


def content_type_for(extension: str) -> str:
    return FILE_TYPES[extension][0]


def quoted_etag(etag: str) -> str:
    """S3 sends the ETag in the redirect with or without its quotes; conditions take it quoted."""
    return f'"{etag.strip().strip(chr(34))}"'


def safe_filename(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255] or "file"


class Uploads(Protocol):
    def form(self, *, draft_id: str, upload_id: str, redirect_url: str, max_bytes: int) -> UploadForm: ...
    def scan_status(self, key: str) -> ScanStatus: ...
    def stored(self, key: str, etag: str) -> StoredFile | None: ...
    def release(self, key: str, etag: str, clean_key: str, filename: str, content_type: str) -> bool: ...
    def discard(self, key: str) -> None: ...


class S3Uploads:
    """The quarantine bucket and the clean bucket."""

    def __init__(self, quarantine: str, clean: str) -> None:
        from shared import aws

        self._s3 = aws.client("s3")
        self.quarantine = quarantine
        self.clean = clean

    def form(self, *, draft_id: str, upload_id: str, redirect_url: str, max_bytes: int) -> UploadForm:
        """A POST form for one file of at most `max_bytes` (the question's limit: S3 refuses a bigger one)."""
        post: dict[str, Any] = self._s3.generate_presigned_post(
            Bucket=self.quarantine,
            Key=f"{draft_id}/{upload_id}/${{filename}}",
            Fields={"success_action_redirect": redirect_url},
            Conditions=[{"success_action_redirect": redirect_url}, ["content-length-range", 0, max_bytes]],
            ExpiresIn=UPLOAD_FORM_SECONDS,
        )
        return UploadForm(action=str(post["url"]), fields={k: str(v) for k, v in post["fields"].items()})

    def scan_status(self, key: str) -> ScanStatus:
        """From the object's tags alone: the bucket policy lets nobody read an unscanned object itself."""
        from botocore.exceptions import ClientError

        try:
            tags = self._s3.get_object_tagging(Bucket=self.quarantine, Key=key).get("TagSet", [])
        except ClientError:
            return "missing"
        value = next((t["Value"] for t in tags if t["Key"] == SCAN_TAG), None)
        if value is None:
            return "pending"
        return {CLEAN: "clean", "THREATS_FOUND": "infected"}.get(value, "failed")  # type: ignore[return-value]

    def stored(self, key: str, etag: str) -> StoredFile | None:
        """The size and first bytes of the object that arrived with `etag` (once it is tagged clean)."""
        from botocore.exceptions import ClientError

        condition = quoted_etag(etag)
        try:
            head = self._s3.head_object(Bucket=self.quarantine, Key=key, IfMatch=condition)
            size = int(head["ContentLength"])
            first = b""
            if size:
                first = self._s3.get_object(
                    Bucket=self.quarantine, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}", IfMatch=condition
                )["Body"].read()
        except ClientError:
            return None
        return StoredFile(size_bytes=size, head=first)

    def release(self, key: str, etag: str, clean_key: str, filename: str, content_type: str) -> bool:
        """Copy the object that arrived with `etag` to the clean bucket (with the type its checks found: the
        catalogue compares it with the answer's); False if it has been replaced since."""
        from botocore.exceptions import ClientError

        try:
            # CopySourceIfMatch makes the copy itself conditional; the HEAD first says so where a copy ignores it
            # (moto, in tests and the local cloud).
            self._s3.head_object(Bucket=self.quarantine, Key=key, IfMatch=quoted_etag(etag))
            self._s3.copy_object(
                Bucket=self.clean,
                Key=clean_key,
                CopySource={"Bucket": self.quarantine, "Key": key},
                CopySourceIfMatch=quoted_etag(etag),
                ContentDisposition="attachment",
                ContentType=content_type,
                Metadata={"filename": filename.encode("ascii", "replace").decode()},
                MetadataDirective="REPLACE",
                TaggingDirective="REPLACE",
                Tagging="",
            )
        except ClientError:
            return False
        self.discard(key)
        return True

    def discard(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.quarantine, Key=key)
