"""File answers name an upload: the web copies a file to the uploads bucket (`uploads/<service id>/<upload id>`)
only once GuardDuty found it clean and it passed its question's checks (web/uploads.py). So a file answer is taken
only if that object is there, for this service, with the size and type the answer says; anything else (an upload
id made up, another service's upload, a file never scanned) is refused like any other wrong answer.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared import forms
from shared.catalogue import ServiceDefinition
from shared.uploads import CleanUpload, S3CleanUploads, clean_key

__all__ = ["CleanUpload", "CleanUploads", "S3CleanUploads", "refused_files"]  # the lookup is shared with the console


class CleanUploads(Protocol):
    def find(self, key: str) -> CleanUpload | None: ...


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
