"""A stand-in for GuardDuty Malware Protection for S3: tags each new object in a protected bucket with its result.

As GuardDuty does when a plan's tagging action is enabled: `GuardDutyMalwareScanStatus` becomes `THREATS_FOUND`
for an object containing the EICAR test signature (the standard harmless test "virus") and `NO_THREATS_FOUND`
otherwise, a moment after the object arrives (`delay_s`, `BOROUGH_LOCAL_SCAN_DELAY_S`, default 0.75 s: the web's
"we are checking your file" step is really taken, as in AWS, where a scan takes seconds). Nothing is really
scanned locally.
"""

from __future__ import annotations

import os
import time
from typing import Any

from local.background import BackgroundThread
from local.model import Inventory
from local.moto_session import LOCK, MotoSession

SCAN_TAG = "GuardDutyMalwareScanStatus"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
INTERVAL_S = 0.1
DELAY_ENVIRONMENT_VARIABLE = "BOROUGH_LOCAL_SCAN_DELAY_S"
DEFAULT_DELAY_S = 0.75


def scan_delay_s() -> float:
    """How long after an object arrives its result is tagged (0: at the next check)."""
    return max(0.0, float(os.environ.get(DELAY_ENVIRONMENT_VARIABLE, DEFAULT_DELAY_S)))


def protected_buckets(inventory: Inventory) -> list[str]:
    return [
        str(plan.properties["ProtectedResource"]["S3Bucket"]["BucketName"])
        for plan in inventory.of_type("AWS::GuardDuty::MalwareProtectionPlan")
        if plan.properties.get("Actions", {}).get("Tagging", {}).get("Status") == "ENABLED"
    ]


class MalwareScanner(BackgroundThread):
    thread_name = "local-malware-scanner"

    def __init__(self, session: MotoSession, buckets: list[str], delay_s: float | None = None) -> None:
        super().__init__()
        self._session = session
        self.buckets = buckets
        self.delay_s = scan_delay_s() if delay_s is None else delay_s
        self._seen: set[tuple[str, str, str]] = set()  # (bucket, key, etag) already tagged
        self._arrived: dict[tuple[str, str, str], float] = {}  # first noticed (monotonic), until tagged

    def start(self) -> None:
        if self.buckets:  # nothing to scan: no thread
            super().start()

    def _run(self) -> None:
        while not self._stopping.wait(INTERVAL_S):
            self.scan_once(older_than_s=self.delay_s)

    def pending(self) -> bool:
        return bool(self._unscanned())

    def scan_once(self, older_than_s: float = 0.0) -> int:
        """Tag every object not scanned yet (that arrived at least `older_than_s` ago); return how many."""
        s3 = self._session.client("s3")
        tagged = 0
        now = time.monotonic()
        with LOCK:
            unscanned = self._unscanned()
            self._arrived = {m: t for m, t in self._arrived.items() if m in unscanned}  # deleted before their scan
            for marker in unscanned:
                if now - self._arrived.setdefault(marker, now) < older_than_s:
                    continue
                bucket, key, _etag = marker
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                result = "THREATS_FOUND" if EICAR in body else "NO_THREATS_FOUND"
                tags = [t for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] if t["Key"] != SCAN_TAG]
                s3.put_object_tagging(
                    Bucket=bucket, Key=key, Tagging={"TagSet": [*tags, {"Key": SCAN_TAG, "Value": result}]}
                )
                self._seen.add(marker)
                self._arrived.pop(marker, None)
                tagged += 1
        return tagged

    def _unscanned(self) -> list[tuple[str, str, str]]:
        # Looked up in moto's memory, so an idle scanner costs next to nothing.
        from moto.s3.models import s3_backends

        from local.moto_session import ACCOUNT_ID

        backend: Any = s3_backends[ACCOUNT_ID]["aws"]
        found = []
        with LOCK:
            for name in self.buckets:
                bucket = backend.buckets.get(name)
                if bucket is None:
                    continue
                for key in list(bucket.keys.values()):
                    marker = (name, key.name, key.etag)
                    if marker not in self._seen:
                        found.append(marker)
        return found
