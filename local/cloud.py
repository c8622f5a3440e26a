"""The local cloud: the synthesized app provisioned into an in-process moto, served over HTTP on 127.0.0.1.

    cloud = LocalCloud(ensure_assembly(), state_dir=Path(".local/state"), port=8080).start()
    cloud.handle("GET", "/api/v1/services")          # in-process, no socket
    cloud.url                                        # http://127.0.0.1:8080
    cloud.stop()                                     # saves every table to state_dir

One LocalCloud runs at a time in a process: moto's backends and `os.environ` are process-global.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from local import access, moto_session, standins
from local.access import AccessControl
from local.callbacks import waiting_for_token
from local.cdn import FrontDoor
from local.event_sources import SqsPoller
from local.gateway import Gateway
from local.lambda_runtime import ROOT, LambdaRuntime
from local.model import Inventory, Resource, zip_placeholder
from local.moto_session import LOCK, MotoSession, released
from local.persistence import load_tables, save_tables
from local.provision import provision
from local.resources import NOT_ENFORCED
from local.router import HttpResponse, Router
from local.sandbox import tiles
from local.scanner import MalwareScanner, protected_buckets
from local.schedules import Scheduler, schedules
from local.server import bind
from local.staff import StaffPool, seed_staff, staff_pools
from local.templates import load_stacks

_ACTIVE: list[LocalCloud] = []


class LocalCloud:
    def __init__(
        self,
        assembly_dir: Path,
        state_dir: Path | None = None,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        sqs_retry_delay_s: int | None = None,
    ) -> None:
        self.assembly_dir = assembly_dir
        self.state_dir = state_dir
        self.host = host
        self.port = port
        self.sqs_retry_delay_s = sqs_retry_delay_s
        self.inventory = Inventory()
        self.timings: dict[str, float] = {}
        self.loaded: dict[str, int] = {}  # table -> items loaded from state_dir at start
        self.saved: dict[str, int] = {}  # table -> items saved to state_dir at stop
        self._session = MotoSession()
        self.access = AccessControl(self._session)
        self._runtime: LambdaRuntime | None = None
        self._poller: SqsPoller | None = None
        self._gateway: Gateway | None = None
        self._router: Router | None = None
        self.scheduler = Scheduler(self._session, [])
        self.scanner = MalwareScanner(self._session, [])
        self._server: Any = None
        self._staff: list[StaffPool] = []
        self.local_secrets = standins.LocalSecrets()  # person-created secrets' values for this run (never printed)
        self._started = False

    # -- life cycle ---------------------------------------------------------------------------------------------
    def start(self) -> LocalCloud:
        if _ACTIVE:
            raise RuntimeError("A LocalCloud is already running in this process: stop it first")
        started = time.perf_counter()
        self._server = bind(self._serve_http, self.host, self.port)  # bound first: the API's endpoint is this address
        self.port = self._server.server_address[1]
        self._session.start()
        standins.start_notify()  # before provisioning: functions' NOTIFY_BASE_URL names its port
        # Functions' S3 clients use the local address (see local/standins.py): moto answers it in-process.
        os.environ["MOTO_S3_CUSTOM_ENDPOINTS"] = self.url
        self.access.install()  # before any function's client exists
        self._runtime = LambdaRuntime(credentials=self.access.credentials)
        self._runtime.install()
        self._poller = SqsPoller(
            self._session,
            self._runtime,
            retry_delay_s=self.sqs_retry_delay_s,
            refusal=self.access.event_source_refusal,
        )
        self._poller.install()
        _ACTIVE.append(self)
        try:
            with LOCK:
                stacks = load_stacks(self.assembly_dir)
                self.inventory = provision(
                    stacks,
                    self._session,
                    self._runtime,
                    api_endpoint=self.url,
                    inline_code_dir=ROOT / ".build" / "local-inline-code",
                )
                self.timings["provision_s"] = time.perf_counter() - started
                self.access.bucket_policies = {
                    r.properties["Bucket"]: r.properties["PolicyDocument"]
                    for r in self.inventory.of_type("AWS::S3::BucketPolicy")
                }
                if self.state_dir is not None:
                    self.loaded = load_tables(self._session, self.table_names(), self.state_dir)
                self._gateway = Gateway.from_inventory(self._session, self.inventory)
                # The functions' environments as provisioned: they name the outside services stood in for locally.
                environments = [
                    r.properties.get("Environment", {}).get("Variables", {})
                    for r in self.inventory.of_type("AWS::Lambda::Function")
                ]
                front_door = FrontDoor.from_inventory(
                    self.inventory,
                    f"{self.host}:{self.port}",
                    self._session.client("s3"),
                    self._gateway.handle,
                    tiles.stand_ins(environments),
                    self._session.client("secretsmanager"),
                )
                self.scheduler = Scheduler(self._session, schedules(self.inventory))
                self.scanner = MalwareScanner(self._session, protected_buckets(self.inventory))
                self._staff = staff_pools(self.inventory)
                seed_staff(self._session, self._staff)
                self._router = Router(
                    self._session,
                    self.url,
                    self._gateway,
                    front_door,
                    self.scheduler,
                    self.scanner,
                    self._staff,
                    {r.physical_id for r in self.inventory.of_type("AWS::S3::Bucket")},
                    self.access,
                )
                self.local_secrets = standins.provide_person_created_secrets(
                    self._session.client("secretsmanager"),
                    environments,
                    self.url,
                )
        except BaseException:
            self._teardown()
            raise
        self._poller.start()
        self.scheduler.start()
        self.scanner.start()
        threading.Thread(target=self._server.serve_forever, name="local-http", daemon=True).start()
        self._started = True
        self.timings["start_s"] = time.perf_counter() - started
        return self

    def stop(self) -> None:
        """Wait briefly for background work, save every table (if there is a state dir), and shut down."""
        if not self._started:
            return
        self._started = False
        if self._server is not None:
            self._server.shutdown()
        if self._poller is not None:
            self._poller.stop()
        self.scheduler.stop()
        self.scanner.stop()
        # Save what there is: executions still running after this are lost, as they would be on a real restart.
        with contextlib.suppress(TimeoutError):
            self.wait_for_idle(timeout_s=5, poll_queues=False)
        if self.state_dir is not None:
            with LOCK:
                self.saved = save_tables(self._session, self.table_names(), self.state_dir)
        self._teardown()

    def _teardown(self) -> None:
        standins.forget_person_created_secrets(self.local_secrets)
        standins.stop_notify()
        if self._server is not None:
            self._server.server_close()
            self._server = None
        if self._poller is not None:
            self._poller.stop()
            self._poller.uninstall()
        if self._runtime is not None:
            self._runtime.uninstall()
        self.access.uninstall()
        self._session.stop()
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        *,
        json_body: Any = None,
        source_ip: str = "127.0.0.1",
        front_door: bool = True,
    ) -> HttpResponse:
        """Serve one HTTP request in-process, exactly as the HTTP server does (one request at a time).

        With `front_door=False` the request goes straight to the API gateway, as a call to the HTTP API's own
        execute-api address would in AWS: CloudFront's origin custom headers (origin verify) are not added."""
        header_list = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        if json_body is not None:
            body = json.dumps(json_body)
            if not any(k.lower() == "content-type" for k, _ in header_list):
                header_list.append(("content-type", "application/json"))
        raw = body.encode() if isinstance(body, str) else body or b""
        if not any(k.lower() == "host" for k, _ in header_list):
            header_list.append(("host", f"{self.host}:{self.port}"))
        assert self._router is not None, "start() the LocalCloud first"
        return self._router.handle(method, path, header_list, raw, source_ip, front_door=front_door)

    def _serve_http(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        return self.handle(method, path, headers, body, source_ip=source_ip)

    def wait_for_idle(self, timeout_s: float = 10.0, *, poll_queues: bool = True) -> None:
        """Return once no polled queue holds a message (visible, in flight waiting to be retried, or delayed), no
        stream has records to deliver and no state machine execution is running."""
        deadline = time.monotonic() + timeout_s
        quiet = 0
        while quiet < 2:  # twice in a row: a finishing execution may publish a message that starts more work
            if time.monotonic() > deadline:
                work = self._poller.pending_work() if poll_queues and self._poller is not None else []
                if self._executions_running():
                    work.append("a state machine execution is running")
                detail = f": {'; '.join(work)}" if work else ""
                raise TimeoutError(f"The local cloud was still busy after {timeout_s} s{detail}")
            busy = (
                self._executions_running()
                or (poll_queues and self._poller is not None and self._poller.pending())
                or self.scanner.pending()
            )
            quiet = 0 if busy else quiet + 1
            with released():
                time.sleep(0.02)

    def _executions_running(self) -> bool:
        from moto.stepfunctions.responses import get_backend

        with LOCK:
            backend = get_backend(moto_session.ACCOUNT_ID, moto_session.REGION)
            # One waiting for a task token is not work in progress: it waits for a call (local/callbacks.py).
            return any(
                getattr(execution, "status", None) == "RUNNING" and not waiting_for_token(execution)
                for machine in backend.state_machines
                for execution in machine.executions
            )

    # -- looking things up --------------------------------------------------------------------------------------
    def resource(self, path_or_stack: str, logical_id: str | None = None) -> Resource:
        """A resource by construct path (`Borough-dev-Data/Requests`, `/Resource` optional) or stack and logical id."""
        if logical_id is not None:
            return self.inventory.by_logical_id(path_or_stack, logical_id)
        try:
            return self.inventory.by_path(path_or_stack)
        except KeyError:
            return self.inventory.by_path(f"{path_or_stack}/Resource")

    def physical_id(self, path_or_stack: str, logical_id: str | None = None) -> str:
        return self.resource(path_or_stack, logical_id).physical_id

    def table_names(self) -> list[str]:
        return [r.physical_id for r in self.inventory.of_type("AWS::DynamoDB::Table")]

    def function_environment(self, name: str) -> dict[str, str]:
        """A function's environment as provisioned, by function name or construct path."""
        function_name = name
        if "/" in name:
            function_name = self.physical_id(name)
        # In its own stack's region: CDK's cross-region export writer is in the WAF stack's us-east-1.
        arn = next(
            (r.provisioned.attributes.get("Arn", "") for r in self.inventory.of_type("AWS::Lambda::Function")
             if r.physical_id == function_name and r.provisioned),
            "",
        )  # fmt: skip
        region = arn.split(":")[3] if arn.count(":") >= 3 else moto_session.REGION
        with LOCK:
            configuration = self.client("lambda", region).get_function_configuration(FunctionName=function_name)
        variables: dict[str, str] = configuration.get("Environment", {}).get("Variables", {})
        return variables

    def add_function(
        self,
        name: str,
        handler: str,
        code_dir: Path,
        environment: dict[str, str] | None = None,
        timeout_s: int = 10,
        policy: dict[str, Any] | None = None,
    ) -> str:
        """Create a function that runs `handler` from `code_dir` in-process (tests' own functions); return its ARN.

        Its role (`local-<name>`) gets `policy` as its only policy; without one it may call anything."""
        iam = self.client("iam")
        role_name = f"local-{name}"[:64]
        with LOCK:
            try:
                role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
            except iam.exceptions.NoSuchEntityException:
                trust = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
                role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                    "Arn"
                ]
            everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            iam.put_role_policy(
                RoleName=role_name, PolicyName="test-function", PolicyDocument=json.dumps(policy or everything)
            )
            self.runtime.register(name, code_dir)
            created = self.client("lambda").create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role_arn,
                Handler=handler,
                Code={"ZipFile": zip_placeholder()},
                Timeout=timeout_s,
                Environment={"Variables": environment or {}},
            )
        arn: str = created["FunctionArn"]
        return arn

    def client(self, service: str, region: str = moto_session.REGION) -> Any:
        """A boto3 client for the local cloud's moto (tests use it to look at tables, queues, ...), in its region
        or in `region` (the WAF stack's resources are in us-east-1)."""
        return self._session.client(service, region)

    @property
    def staff_pools(self) -> list[StaffPool]:
        return list(self._staff)

    def not_served(self) -> dict[str, str]:
        return self.inventory.not_served()

    def enforced(self) -> tuple[str, ...]:
        return access.listing(self.inventory)[0]

    def not_enforced(self) -> tuple[str, ...]:
        unsupported = tuple(self._gateway.unsupported if self._gateway else ())
        return access.listing(self.inventory)[1] + NOT_ENFORCED + unsupported

    @property
    def runtime(self) -> LambdaRuntime:
        assert self._runtime is not None
        return self._runtime

    @property
    def poller(self) -> SqsPoller:
        assert self._poller is not None
        return self._poller
