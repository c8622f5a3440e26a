"""`make bench`: every benchmark in turn. Figures are recorded by hand in docs/benchmarks.md with the date."""

from __future__ import annotations

import importlib
import platform
import sys

BENCHMARKS = (
    "bench.import_times",
    "bench.bench_api",
    "bench.bench_notifications",
    "bench.bench_web",
    "bench.bench_payments",
    "bench.bench_permits",
    "bench.bench_console",
    "bench.cost_model",
)


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.node()}")
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            print(f"\n== {name}: not present")
            continue
        print(f"\n== {name}")
        sys.stdout.flush()
        module.main()


if __name__ == "__main__":
    main()
