"""Every route key on the HTTP API, by the function that serves it: the one table the stacks import.

The API stack gives the whole `/api/v1` table to the catalogue function (`API_ROUTES`) so that its fallback
`ANY /api/v1/{proxy+}` answers unknown routes and methods with problem+json (404/405) from our code rather than
API Gateway's bare {"message": ...}. The stacks that add routes (web, notifications) and the WAF's rules read their
keys here rather than from each other.
"""

from __future__ import annotations

CATALOGUE_ROUTES = (
    "GET /api/v1/services",
    "GET /api/v1/services/{service_id}",
    "POST /api/v1/services/{service_id}/requests",
)
CASES_PUBLIC_ROUTES = ("GET /api/v1/requests/{reference}",)
CASES_STAFF_ROUTES = ("PATCH /api/v1/requests/{reference}",)
# Served by the notifications stack's functions (GOV.UK Notify's delivery receipts; bin reminder subscriptions).
NOTIFY_RECEIPTS_ROUTES = ("POST /api/v1/notifications/receipts",)
REMINDER_ROUTES = (
    "POST /api/v1/reminders/subscriptions",
    "POST /api/v1/reminders/confirm",
    "POST /api/v1/reminders/unsubscribe",
)
# Served by the payments stack's webhook receiver (GOV.UK Pay's signed webhooks).
PAYMENT_WEBHOOK_ROUTES = ("POST /api/v1/payments/webhooks",)
# Served by the payments stack's staff refund API (a staff pool token, the API stack's StaffAuthorizer).
STAFF_REFUND_ROUTES = ("POST /api/v1/payments/{reference}/refunds",)
# Served by the permits stack's check function (enforcement devices, a machine token with the permits/check scope).
PERMITS_CHECK_ROUTES = ("GET /api/v1/permits/check", "POST /api/v1/permits/check")
# Served by the permits stack's feed function (the same devices and scope): the signed offline feed and its key.
PERMITS_FEED_ROUTES = ("GET /api/v1/permits/feed", "GET /api/v1/permits/feed/key")
FALLBACK_ROUTE = "ANY /api/v1/{proxy+}"
# Every `/api/v1` route but the fallback: what the fallback tells apart (404 or 405).
API_ROUTES = (
    CATALOGUE_ROUTES
    + CASES_PUBLIC_ROUTES
    + CASES_STAFF_ROUTES
    + NOTIFY_RECEIPTS_ROUTES
    + REMINDER_ROUTES
    + PAYMENT_WEBHOOK_ROUTES
    + STAFF_REFUND_ROUTES
    + PERMITS_CHECK_ROUTES
    + PERMITS_FEED_ROUTES
)
# Served by the staff console function (console stack): its own sign-in and permission checks, in code.
CONSOLE_ROUTES = ("ANY /staff", "ANY /staff/{proxy+}")
# Served by the web function (web stack): the resident pages. The `/api/v1` routes above are more specific.
WEB_ROUTES = ("GET /", "ANY /{proxy+}")
