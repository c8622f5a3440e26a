"""A stand-in for GOV.UK Notify's HTTP API, strict enough that a client which works here works against Notify.

It implements what Borough's client uses (`notifications-python-client`):

    POST /v2/notifications/email | /sms | /letter
    GET  /v2/notifications/{id}
    GET  /v2/notifications?reference=...&status=...&template_type=...&older_than=...

and checks what Notify checks: the `Authorization: Bearer <JWT>` header (HS256, `iss` = service id, `iat`
within 30 seconds of now, signed with one of the service's API key secrets: 401/403 AuthError otherwise), the
request shape (template id, recipient, personalisation, reference), template type, missing personalisation,
UK mobile numbers, the 918-character SMS limit, letter addresses, and the 3,000-a-minute rate limit (429
RateLimitError). Answers are Notify-shaped JSON. Messages are kept in memory; `/sandbox/outbox` shows each one as
the resident would read it (newest first), `/sandbox/outbox.json` lists them.

Mounting: `handle(method, path, headers, body)` serves both `/v2/...` and `/sandbox/notify/v2/...`. Note that the
official client joins its paths to `base_url` with `urljoin`, which drops any path in the base URL: point the
client at a host whose root serves `/v2/...` (run `serve()` on its own loopback port, or route `/v2/notifications`
to this stand-in).

The package: `api` (NotifySandbox: the checks and answers), `messages` (templates, messages and their JSON
shapes), `outbox` (the outbox page), `server` (the process-wide sandbox and `serve()`); run on its own with
`python -m local.sandbox.notify [--port 8025]`.
"""

from __future__ import annotations

from local.sandbox.notify.api import (
    MOUNT,
    OUTBOX,
    RATE_LIMIT_PER_MINUTE,
    SANDBOX_API_KEY,
    SANDBOX_SECRET,
    SANDBOX_SERVICE_ID,
    SIMULATED,
    SMS_MAX_CHARACTERS,
    TOKEN_BOUND_SECONDS,
    NotifySandbox,
)
from local.sandbox.notify.messages import TEMPLATES_FILE, NotifyError, SandboxMessage, SandboxTemplate, load_templates
from local.sandbox.notify.server import RunningSandbox, default_sandbox, handle, serve

__all__ = [
    "MOUNT",
    "OUTBOX",
    "RATE_LIMIT_PER_MINUTE",
    "SANDBOX_API_KEY",
    "SANDBOX_SECRET",
    "SANDBOX_SERVICE_ID",
    "SIMULATED",
    "SMS_MAX_CHARACTERS",
    "TEMPLATES_FILE",
    "TOKEN_BOUND_SECONDS",
    "NotifyError",
    "NotifySandbox",
    "RunningSandbox",
    "SandboxMessage",
    "SandboxTemplate",
    "default_sandbox",
    "handle",
    "load_templates",
    "serve",
]
