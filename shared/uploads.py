"""Where a scanned-clean upload is kept, for everything that names one: the web (which copies it there), the
catalogue (which accepts a file answer only if it is there), the console (which lets staff download it only if it
is there) and the stack (whose lifecycle rules expire it with its service's retention).

The uploads bucket holds only files GuardDuty found clean: the web copies an upload there from quarantine once its
scan tag says `NO_THREATS_FOUND` and it passed its question's checks (web/uploads.py), and nothing else writes it.
"""

from __future__ import annotations

from dataclasses import dataclass

CLEAN_PREFIX = "uploads/"  # the uploads bucket's keys: uploads/<service id>/<upload id>
SCAN_TAG = "GuardDutyMalwareScanStatus"  # the tag GuardDuty Malware Protection for S3 puts on scanned objects
CLEAN = "NO_THREATS_FOUND"  # its value for a file found clean
# A parking permit's evidence (functions/permits/evidence.py): uploads/parking-permit/<upload id>, kept while staff
# check it (the uploads bucket's lifecycle rule, stacks/constructs/web_data.py), then deleted.
PERMIT_EVIDENCE_SERVICE_ID = "parking-permit"
PERMIT_EVIDENCE_RETENTION_DAYS = 90


def service_prefix(service_id: str) -> str:
    return f"{CLEAN_PREFIX}{service_id}/"


def clean_key(service_id: str, upload_id: str) -> str:
    return f"{service_prefix(service_id)}{upload_id}"


@dataclass(frozen=True)
class CleanUpload:
    size_bytes: int
    content_type: str


class S3CleanUploads:
    """The uploads bucket, by name or named by an SSM parameter (which the web stack, owning the bucket, writes)."""

    def __init__(self, parameter_name: str = "", *, bucket: str = "") -> None:
        self.parameter_name = parameter_name
        self._bucket: str | None = bucket or None

    def bucket(self) -> str:
        if self._bucket is None:
            from shared import aws

            self._bucket = str(aws.client("ssm").get_parameter(Name=self.parameter_name)["Parameter"]["Value"])
        return self._bucket

    def find(self, key: str) -> CleanUpload | None:
        """The clean upload at `key` (a HEAD, authorised as s3:GetObject), or None if there is none."""
        from botocore.exceptions import ClientError

        from shared import aws

        if not self.parameter_name and self._bucket is None:
            return None  # no uploads bucket in this deployment: no file answer can name one
        try:
            head = aws.client("s3").head_object(Bucket=self.bucket(), Key=key)
        except ClientError as error:
            # Without s3:ListBucket (not granted: it would list every upload), S3 answers a missing key with 403.
            if error.response.get("Error", {}).get("Code") in ("403", "404", "AccessDenied", "NoSuchKey", "NotFound"):
                return None
            raise
        return CleanUpload(size_bytes=int(head["ContentLength"]), content_type=str(head.get("ContentType", "")))
