"""File answers name an upload: the web copies a file to the uploads bucket (`uploads/<service id>/<upload id>`)
only once GuardDuty found it clean and it passed its question's checks (web/uploads.py). So a file answer is taken
only if that object is there, for this service, with the size and type the answer says; anything else (an upload
id made up, another service's upload, a file never scanned) is refused like any other wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shared import forms
from shared.catalogue import ServiceDefinition
from shared.uploads import clean_key


@dataclass(frozen=True)
class CleanUpload:
    size_bytes: int
    content_type: str


class CleanUploads(Protocol):
    def find(self, key: str) -> CleanUpload | None: ...


class S3CleanUploads:
    """The uploads bucket, named by an SSM parameter that the web stack (which owns the bucket) writes."""

    def __init__(self, parameter_name: str) -> None:
        self.parameter_name = parameter_name
        self._bucket: str | None = None

    def _bucket_name(self) -> str:
        if self._bucket is None:
            from shared import aws

            self._bucket = str(aws.client("ssm").get_parameter(Name=self.parameter_name)["Parameter"]["Value"])
        return self._bucket

    def find(self, key: str) -> CleanUpload | None:
        from botocore.exceptions import ClientError

        from shared import aws

        if not self.parameter_name:
            return None  # no uploads bucket in this deployment: no file answer can name one
        try:
            head = aws.client("s3").head_object(Bucket=self._bucket_name(), Key=key)
        except ClientError as error:
            # Without s3:ListBucket (not granted: it would list every upload), S3 answers a missing key with 403.
            if error.response.get("Error", {}).get("Code") in ("403", "404", "AccessDenied", "NoSuchKey", "NotFound"):
                return None
            raise
        return CleanUpload(size_bytes=int(head["ContentLength"]), content_type=str(head.get("ContentType", "")))


def refused_files(
    definition: ServiceDefinition, answers: dict[str, Any], uploads: CleanUploads
) -> list[forms.FieldError]:
    """The file answers (already valid in shape) that name no scanned-clean upload of this service."""
    errors: list[forms.FieldError] = []
    for _, question in definition.questions():
        value = answers.get(question.id)
        if question.type != "file" or not value:
            continue
        found = uploads.find(clean_key(definition.id, value["upload_id"]))
        if found is None or (found.size_bytes, found.content_type) != (value["size_bytes"], value["content_type"]):
            errors.append({"field": question.id, "message": forms.DEFAULT_MESSAGES["file"]})
    return errors
