"""`python -m local --port 8080` (what `make run` calls): synthesize if needed, provision, serve until Ctrl+C."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from local import fast_query
from local.assembly import DEFAULT_OUTDIR, ROOT, ensure_assembly
from local.cloud import LocalCloud
from local.moto_session import LOCK
from local.schedules import SCHEDULES_PATH
from local.staff import DEMO_PASSWORD, DEMO_STAFF, DEMO_USERNAME, ROLE_PREFIX, SIGN_IN_PATH

DEFAULT_STATE_DIR = ROOT / ".local" / "state"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--environment", default="dev", help="the cdk.json environment to run (default: dev)")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="where tables are saved")
    parser.add_argument("--no-persist", action="store_true", help="start empty and save nothing")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    print("Borough local cloud: checking the CDK app ...", flush=True)
    try:
        assembly = ensure_assembly(DEFAULT_OUTDIR, args.environment)
    except Exception as error:
        print(f"The CDK app did not synthesize, so there is nothing to run:\n  {error}", file=sys.stderr)
        return 1
    synthesized_s = time.perf_counter() - began
    cloud = LocalCloud(assembly, None if args.no_persist else args.state_dir, args.port)
    try:
        cloud.start()
    except OSError as error:
        print(f"Could not listen on 127.0.0.1:{args.port}: {error}. Try --port 0 or another port.", file=sys.stderr)
        return 1
    print(banner(cloud, synthesized_s, time.perf_counter() - began), flush=True)

    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stopping.wait(0.5):
        pass
    print("\nStopping ...", flush=True)
    cloud.stop()
    if cloud.state_dir is not None:
        total = sum(cloud.saved.values())
        print(f"Saved {total} items from {len(cloud.saved)} tables to {cloud.state_dir} (make reset forgets them).")
    return 0


def device_lines(cloud: LocalCloud) -> list[str]:
    """How to act as an enforcement device: the demo device's client credentials (local only), its token, the
    look-up and the offline feed."""
    url, lines = cloud.url, []
    for client in cloud.inventory.of_type("AWS::Cognito::UserPoolClient"):
        if client.properties.get("AllowedOAuthFlows") != ["client_credentials"] or not client.provisioned:
            continue
        pool_id = str(client.properties["UserPoolId"])
        with LOCK:
            described = cloud.client("cognito-idp").describe_user_pool_client(
                UserPoolId=pool_id, ClientId=client.physical_id
            )["UserPoolClient"]
        secret = described.get("ClientSecret", "")
        lines += [
            f"  Enforcement device  client {client.physical_id}  secret {secret}  (the demo device; local only)",
            f"  Get a device token  DEVICE=$(curl -s -u {client.physical_id}:{secret} \\",
            f"                        -d grant_type=client_credentials {url}/sandbox/cognito/oauth2/token \\",
            "                        | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
            f'  Check a vehicle     curl -s -X POST {url}/api/v1/permits/check -H "authorization: Bearer $DEVICE" \\',
            '                        -H \'content-type: application/json\' -d \'{"vrm": "LB19PTR", "zone": "A"}\'',
            f'  Offline feed        curl -s {url}/api/v1/permits/feed -H "authorization: Bearer $DEVICE"',
        ]
    return lines


def banner(cloud: LocalCloud, synthesized_s: float, ready_s: float) -> str:
    url = cloud.url
    lines = [
        "",
        f"Borough is running locally at {url}  (ready in {ready_s:.1f} s: synth check {synthesized_s:.1f} s, "
        f"start {cloud.timings.get('start_s', 0):.1f} s)",
        "",
        f"  API                 {url}/api/v1/",
        f"  Services            curl -s {url}/api/v1/services",
        f"  Notify outbox       {url}/sandbox/outbox  (the GOV.UK Notify stand-in: every message sent)",
    ]
    if cloud.local_secrets.pay_api_key:
        from local import pay_standin

        lines += [
            f"  GOV.UK Pay (local)  {pay_standin.base_url(url)}  (the local Pay: API, card pages, signed webhooks)",
            f"  Pay API key         {cloud.local_secrets.pay_api_key}  (a key of the local Pay only)",
            f"  Try                 curl -s {pay_standin.base_url(url)}/v1/payments/<payment id> "
            f"-H 'Authorization: Bearer {cloud.local_secrets.pay_api_key}'",
            "  Test cards (any future expiry, any name, any 3-digit security code):",
            *[f"    {line}" for line in pay_standin.cards_text().splitlines()],
        ]
    for name, shown in cloud.local_secrets.masked().items():
        lines.append(f"  Secret              {name} = {shown}  (generated for this run; a person creates it in AWS)")
    if cloud.staff_pools:
        groups = cloud.staff_pools[0].groups
        plain = ", ".join(g for g in groups if ":" not in g)
        credentials = json.dumps({"username": DEMO_USERNAME, "password": DEMO_PASSWORD})
        lines.append(f"  Staff console       {url}/staff  (password for every demo user: {DEMO_PASSWORD})")
        for role, username in DEMO_STAFF.items():
            if ROLE_PREFIX + role in groups:
                lines.append(f"    as {role:<16} {username}")
        lines += [
            f"  Staff API sign-in   {DEMO_USERNAME} / {DEMO_PASSWORD}  (group: {plain})",
            f"  Get a staff token   TOKEN=$(curl -s -X POST {url}{SIGN_IN_PATH} \\",
            f"                        -H 'content-type: application/json' -d '{credentials}' \\",
            "                        | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id_token\"])')",
            f"  Use it              curl -s -X PATCH {url}/api/v1/requests/<reference> \\",
            '                        -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\',
            '                        -d \'{"status": "investigating"}\'',
        ]
    lines += device_lines(cloud)
    for name, when in cloud.scheduler.next_runs(datetime.now(UTC)).items():
        next_run = when.strftime("%Y-%m-%d %H:%M UTC") if when else "never locally (expression not understood)"
        lines.append(f"  Schedule            {name}: next {next_run}")
        lines.append(f"                        run it now: curl -s -X POST {url}{SCHEDULES_PATH}{name}")
    if cloud.loaded:
        lines.append(f"  Data                {sum(cloud.loaded.values())} items loaded from {cloud.state_dir}")
    not_served = cloud.not_served()
    if not_served:
        lines += ["", "Declared but not served locally:"]
        lines += [f"  - {type_}: {reason}" for type_, reason in sorted(not_served.items())]
    lines += ["", "Enforced locally, as in AWS:"]
    lines += [f"  - {note}" for note in cloud.enforced()]
    lines += ["", "Provisioned but not enforced locally:"]
    lines += [f"  - {note}" for note in cloud.not_enforced()]
    lines += ["", "Changed from moto:", f"  - {fast_query.NOTICE}"] if fast_query.installed() else []
    lines += ["", "Press Ctrl+C to stop (tables are saved)."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
