"""Stand-ins for the outside world, mounted on the local cloud's port (see `local/sandbox/`).

S3 for browsers: presigned POSTs and GETs point at the local address (`/<bucket>/...`); moto's S3 answers them.
GuardDuty Malware Protection for S3: `local.scanner` tags new objects in protected buckets.

GOV.UK Notify: the stand-in answers Notify's API at `/v2/notifications...` (the official client drops any path
from its base URL) and shows every message at `/sandbox/outbox`. Functions reach the same stand-in on a loopback
port of its own (`start_notify`): in-process, moto's HTTP mock takes every `requests` call to the local cloud's
address for S3 (`MOTO_S3_CUSTOM_ENDPOINTS`), and the Notify client uses `requests`. A function whose template
environment names `NOTIFY_BASE_URL` is pointed at that port, and one that names `PUBLIC_BASE_URL` (links in
messages) at the local address: the only places where the local environment differs from the template's.
The stand-in's delivery receipts go to the API's receipts route on the local port, with the callback token, as
Notify's would.

Secrets a person creates in AWS (named, not declared, in the templates: the Notify API key, the callback token)
are created in the local Secrets Manager with values generated for this run, so functions read them by name as
they do when deployed. The Notify key is a key of the stand-in's service, the token is what the stand-in sends.
They are never printed in full (`masked`).

Ordnance Survey's OS Places API (address lookup by postcode): `local/sandbox/os_places.py` answers at
`/sandbox/os-places/search/places/v1/postcode` on the local port from a small fictional gazetteer, and a function
whose template environment names `OS_PLACES_BASE_URL` is pointed at `<local address>/sandbox/os-places` (the web's
client uses the standard library, which moto's HTTP mock leaves alone). Its key secret, `os-places-api-key`, gets a
placeholder value for the run: the stand-in accepts any key.

DVLA's Vehicle Enquiry Service: `local/sandbox/dvla.py` answers at `/sandbox/dvla/vehicle-enquiry/v1/vehicles`; a
function whose environment names `DVLA_BASE_URL` is pointed at `<local address>/sandbox/dvla`, and the key secret,
`dvla-api-key`, holds the stand-in's one key (`local-dvla-key`: not a secret).

GOV.UK Pay: the local Pay answers under `/sandbox/pay/` (`local/pay_standin.py`); its API key and webhook signing
secret are this run's, and the key is printed in full at start-up (`LocalSecrets.pay_api_key`).

Stand-in requests are served without the local cloud's lock: a function calls Notify while it holds that lock.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from local import pay_standin

NOTIFY_PATHS = ("/v2/notifications", "/sandbox/notify/", "/sandbox/outbox")
COGNITO_OAUTH_PREFIX = "/sandbox/cognito"  # local.sandbox.cognito_oauth.PREFIX
OS_PLACES_PREFIX = "/sandbox/os-places"  # local.sandbox.os_places.PREFIX (not imported: it is loaded on first use)
DVLA_PREFIX = "/sandbox/dvla"  # local.sandbox.dvla.PREFIX
RECEIPTS_PATH = "/api/v1/notifications/receipts"  # stacks.api_stack.NOTIFY_RECEIPTS_ROUTES (not imported: CDK)
# Variables that name, by name, a secret a person creates in AWS -> what its local value is.
PERSON_CREATED_SECRETS = {
    "NOTIFY_API_KEY_SECRET_ID": "notify-api-key",
    "NOTIFY_CALLBACK_TOKEN_SECRET_ID": "notify-callback-token",
    "OS_PLACES_API_KEY_SECRET_ID": "os-places-api-key",
    "DVLA_API_KEY_SECRET_ID": "dvla-api-key",
    "PAY_API_KEY_SECRET_ID": "pay-api-key",
    "PAY_WEBHOOK_SECRET_ID": "pay-webhook-secret",
}


@dataclass
class LocalSecrets:
    """The values generated for this run's person-created secrets, by secret name."""

    values: dict[str, str] = field(default_factory=dict)
    notify_key_secrets: list[str] = field(default_factory=list)  # registered with the stand-in's service
    pay_api_key: str = ""  # a key of the local Pay only: printed in full, as Pay's test keys may be

    def masked(self) -> dict[str, str]:
        return {name: masked(value) for name, value in sorted(self.values.items())}


def masked(value: str) -> str:
    return f"…{value[-4:]}" if len(value) > 12 else "…"


class _Notify:
    running: Any = None  # local.sandbox.notify.RunningSandbox while a local cloud runs


def start_notify() -> str:
    """Serve the process-wide Notify stand-in on a free loopback port for functions; returns its URL."""
    from local.sandbox.notify import default_sandbox, serve

    if _Notify.running is None:
        _Notify.running = serve(default_sandbox())
    return str(_Notify.running.url)


def stop_notify() -> None:
    if _Notify.running is not None:
        _Notify.running.close()
        _Notify.running = None


def is_stand_in(path: str) -> bool:
    prefixes = (*NOTIFY_PATHS, OS_PLACES_PREFIX + "/", DVLA_PREFIX + "/")
    return path.split("?", 1)[0].startswith(prefixes) or pay_standin.is_pay(path)


def handle(
    method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    from local.sandbox import dvla, notify, os_places  # imported on first use: they load their templates and data

    if pay_standin.is_pay(path):
        status, answer, payload = pay_standin.handle(method, path, dict(headers), body)
        return status, list(answer.items()), payload
    if path.startswith(DVLA_PREFIX + "/"):
        serve = dvla.handle
    else:
        serve = os_places.handle if path.startswith(OS_PLACES_PREFIX + "/") else notify.handle
    status, response_headers, payload = serve(method, path, dict(headers), body)
    return status, list(response_headers.items()), payload


def environment_overrides(environment: dict[str, Any], local_url: str) -> dict[str, str]:
    """What changes in a function's environment so that it talks to the stand-ins instead of the real services.

    Every function's S3 client uses the local address (`AWS_ENDPOINT_URL_S3`), so the presigned URLs it gives
    browsers (upload forms, downloads) reach the local cloud, which hands them to moto's S3.
    """
    overrides = {"AWS_ENDPOINT_URL_S3": local_url}
    if "NOTIFY_BASE_URL" in environment:
        overrides["NOTIFY_BASE_URL"] = str(_Notify.running.url) if _Notify.running is not None else local_url
    if "PUBLIC_BASE_URL" in environment:
        overrides["PUBLIC_BASE_URL"] = local_url
    if "OS_PLACES_BASE_URL" in environment:
        overrides["OS_PLACES_BASE_URL"] = local_url + OS_PLACES_PREFIX
    if "DVLA_BASE_URL" in environment:
        overrides["DVLA_BASE_URL"] = local_url + DVLA_PREFIX
    # The staff console's managed login and the pool's keys: local/sandbox/cognito_oauth.py.
    if "STAFF_AUTH_BASE_URL" in environment:
        overrides["STAFF_AUTH_BASE_URL"] = local_url + COGNITO_OAUTH_PREFIX
    if "STAFF_JWKS_URL" in environment:
        overrides["STAFF_JWKS_URL"] = local_url + COGNITO_OAUTH_PREFIX + "/.well-known/jwks.json"
    if pay_standin.BASE_URL_VARIABLE in environment:
        overrides[pay_standin.BASE_URL_VARIABLE] = pay_standin.base_url(local_url)
    return overrides


def provide_person_created_secrets(
    secretsmanager: Any, environments: list[dict[str, Any]], local_url: str
) -> LocalSecrets:
    """Create this run's values for the person-created secrets the functions name, and set up the Notify stand-in
    to accept the key and to send receipts, with the token, to the local receipts route."""
    from local.sandbox.notify import SANDBOX_SERVICE_ID, default_sandbox

    names = {
        str(variables[variable]): kind
        for variables in environments
        for variable, kind in PERSON_CREATED_SECRETS.items()
        if variable in variables and not str(variables[variable]).startswith("arn:")
    }
    created = LocalSecrets()
    sandbox = default_sandbox()
    for name, kind in sorted(names.items()):
        if kind == "notify-api-key":
            key_secret = str(uuid.uuid4())
            sandbox.services.setdefault(SANDBOX_SERVICE_ID, []).append(key_secret)
            created.notify_key_secrets.append(key_secret)
            value = f"borough_local-{SANDBOX_SERVICE_ID}-{key_secret}"
        elif kind == "os-places-api-key":
            value = f"local-os-places-{secrets.token_hex(8)}"  # a placeholder: the stand-in accepts any key
        elif kind == "dvla-api-key":
            from local.sandbox.dvla import LOCAL_API_KEY

            value = LOCAL_API_KEY  # the stand-in's one key (not a secret)
        elif kind == "pay-api-key":
            pay_standin.start(local_url)
            value = created.pay_api_key = pay_standin.api_key()
        elif kind == "pay-webhook-secret":
            pay_standin.start(local_url)
            value = pay_standin.webhook_secret(local_url)
        else:
            value = secrets.token_urlsafe(32)
            sandbox.callback_url = f"{local_url}{RECEIPTS_PATH}"
            sandbox.callback_token = value
        try:
            secretsmanager.create_secret(Name=name, SecretString=value)
        except secretsmanager.exceptions.ResourceExistsException:
            secretsmanager.put_secret_value(SecretId=name, SecretString=value)
        created.values[name] = value
    return created


def forget_person_created_secrets(created: LocalSecrets) -> None:
    """Stop the stand-in accepting this run's key and sending receipts to a local cloud that has stopped."""
    from local.sandbox.notify import SANDBOX_SERVICE_ID, default_sandbox

    sandbox = default_sandbox()
    service_secrets = sandbox.services.get(SANDBOX_SERVICE_ID, [])
    for key_secret in created.notify_key_secrets:
        if key_secret in service_secrets:
            service_secrets.remove(key_secret)
    sandbox.callback_url = None
    sandbox.callback_token = None
    pay_standin.stop()
