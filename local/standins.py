"""Stand-ins for the outside world, mounted on the local cloud's port (see `local/sandbox/`).

S3 for browsers: presigned POSTs and GETs point at the local address (`/<bucket>/...`); moto's S3 answers them.
GuardDuty Malware Protection for S3: `local.scanner` tags new objects in protected buckets.

GOV.UK Notify: the stand-in answers Notify's API at `/v2/notifications...` (the official client drops any path
from its base URL) and shows every message at `/sandbox/outbox`. A function whose template environment names
`NOTIFY_BASE_URL` is pointed at it, with the stand-in's API key in place of the deployed secret: the one place
where the local environment differs from the template's, printed at start-up.

Stand-in requests are served without the local cloud's lock: a function calls Notify while it holds that lock.
"""

from __future__ import annotations

from typing import Any

NOTIFY_PATHS = ("/v2/notifications", "/sandbox/notify/", "/sandbox/outbox")


def is_stand_in(path: str) -> bool:
    return path.split("?", 1)[0].startswith(NOTIFY_PATHS)


def handle(
    method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    from local.sandbox import notify  # imported on first use: it loads its templates

    status, response_headers, payload = notify.handle(method, path, dict(headers), body)
    return status, list(response_headers.items()), payload


def environment_overrides(environment: dict[str, Any], local_url: str) -> dict[str, str]:
    """What changes in a function's environment so that it talks to the stand-ins instead of the real services.

    Every function's S3 client uses the local address (`AWS_ENDPOINT_URL_S3`), so the presigned URLs it gives
    browsers (upload forms, downloads) reach the local cloud, which hands them to moto's S3.
    """
    overrides = {"AWS_ENDPOINT_URL_S3": local_url}
    if "NOTIFY_BASE_URL" in environment:
        from local.sandbox.notify import SANDBOX_API_KEY

        overrides |= {"NOTIFY_BASE_URL": local_url, "NOTIFY_API_KEY": SANDBOX_API_KEY, "NOTIFY_API_KEY_SECRET_ARN": ""}
    return overrides
