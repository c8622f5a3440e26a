"""Where a scanned-clean upload is kept, for everything that names one: the web (which copies it there), the
catalogue (which accepts a file answer only if it is there) and the stack (whose lifecycle rules expire it with its
service's retention).
"""

from __future__ import annotations

CLEAN_PREFIX = "uploads/"  # the uploads bucket's keys: uploads/<service id>/<upload id>
SCAN_TAG = "GuardDutyMalwareScanStatus"  # the tag GuardDuty Malware Protection for S3 puts on scanned objects
CLEAN = "NO_THREATS_FOUND"  # its value for a file found clean


def service_prefix(service_id: str) -> str:
    return f"{CLEAN_PREFIX}{service_id}/"


def clean_key(service_id: str, upload_id: str) -> str:
    return f"{service_prefix(service_id)}{upload_id}"
