"""`python -m local.measure`: the local cloud's own figures (start-up, per-request overhead, a whole journey).

The figures in docs/local-cloud.md come from this. Data stays in memory: nothing is read from or saved to .local.
"""

from __future__ import annotations

import http.client
import os
import statistics
import time
from collections.abc import Callable

from local.assembly import ensure_assembly
from local.cloud import LocalCloud

REPORT = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


def _per_request(cloud: LocalCloud, call: Callable[[], object], n: int) -> tuple[float, float]:
    """Median milliseconds for the whole request and for the handler alone."""
    totals, handlers = [], []
    for _ in range(n):
        started = time.perf_counter()
        call()
        totals.append(time.perf_counter() - started)
        handlers.append(cloud.runtime.invocations[-1].seconds)
    return statistics.median(totals) * 1000, statistics.median(handlers) * 1000


def main(n: int = 300) -> None:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    began = time.perf_counter()
    assembly = ensure_assembly()
    synth_s = time.perf_counter() - began
    cloud = LocalCloud(assembly, None, 0).start()
    try:
        print(f"synth check {synth_s:.2f} s; start {cloud.timings['start_s']:.2f} s")
        reference = cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT).json()["reference"]
        cloud.wait_for_idle()
        path = f"/api/v1/requests/{reference}"
        total, handler = _per_request(cloud, lambda: cloud.handle("GET", path), n)
        print(f"in-process GET {path}: {total:.2f} ms, handler {handler:.2f} ms, overhead {total - handler:.2f} ms")
        connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=30)

        def over_http() -> None:
            connection.request("GET", path)
            connection.getresponse().read()

        total, handler = _per_request(cloud, over_http, n)
        print(
            f"HTTP keep-alive GET {path}: {total:.2f} ms, handler {handler:.2f} ms, overhead {total - handler:.2f} ms"
        )
        started = time.perf_counter()
        for _ in range(n):
            cloud.handle("PATCH", path, {"authorization": "Bearer not-a-token"}, json_body={})
        print(f"401 from the authorizer: {(time.perf_counter() - started) / n * 1000:.2f} ms")
        started = time.perf_counter()
        for _ in range(20):
            cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
            cloud.wait_for_idle()
        print(f"report -> triage -> acknowledgement: {(time.perf_counter() - started) / 20 * 1000:.0f} ms")
        cpu_before = os.times()
        time.sleep(5)
        cpu_after = os.times()
        idle = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / 5 * 100
        print(f"idle CPU: {idle:.1f} % of a core")
    finally:
        cloud.stop()


if __name__ == "__main__":
    main()
