"""The life cycle the local cloud's background workers share (queue poller, scheduler, malware-scan stand-in)."""

from __future__ import annotations

import threading


class BackgroundThread:
    """A daemon thread that runs `_run` until `stop()`; `_run` waits on `self._stopping` so a stop is noticed."""

    thread_name = "local-background"

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
