"""In-process latency of the API through the local gateway: submit a report and look up its status.

Each request goes through everything the local cloud runs for it: route matching, the payload-2.0 event, the
real handler, moto. Submissions also run what moto delivers synchronously on publish (SNS to SQS to the triage
pipe); in AWS that part is asynchronous, so these figures are an upper bound for the handler itself.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

REQUESTS = 1_000
REPORT = {
    "description": "Shopping trolley in the river by the footbridge",
    "location": {"postcode": "ME14 1HQ"},
    "contact": {"email": "resident@example.org"},
}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _timed(cloud: Any, method: str, path: str, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = cloud.handle(method, path, **kwargs)
    return (time.perf_counter() - started) * 1000, response


def run(cloud: Any, requests: int = REQUESTS) -> dict[str, dict[str, float]]:
    submit_ms, status_ms, references = [], [], []
    for _ in range(requests):
        elapsed, response = _timed(
            cloud, "POST", "/api/v1/services/abandoned-shopping-trolley/requests", json_body=REPORT
        )
        if response.status != 201:
            raise RuntimeError(f"submit failed: {response.status} {response.body!r}")
        submit_ms.append(elapsed)
        references.append(response.json()["reference"])
        # Let triage finish before the next submission (untimed): in AWS it runs elsewhere, but here it shares
        # the process and would queue up behind the benchmark, then time out.
        cloud.wait_for_idle(timeout_s=30)
    for reference in references:
        elapsed, response = _timed(cloud, "GET", f"/api/v1/requests/{reference}")
        if response.status != 200:
            raise RuntimeError(f"status failed: {response.status}")
        status_ms.append(elapsed)
    return {
        name: {"p50": statistics.median(samples), "p99": percentile(samples, 0.99), "n": len(samples)}
        for name, samples in (("submit", submit_ms), ("status", status_ms))
    }


def main() -> dict[str, dict[str, float]]:
    from local.assembly import ensure_assembly
    from local.cloud import LocalCloud

    with LocalCloud(ensure_assembly(), state_dir=None, port=0) as cloud:
        figures = run(cloud)
    for name, figure in figures.items():
        print(f"{name:<7} p50 {figure['p50']:6.2f} ms  p99 {figure['p99']:6.2f} ms  over {figure['n']} requests")
    return figures


if __name__ == "__main__":
    main()
