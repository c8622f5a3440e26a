"""Record-only: messages are recorded in the table and go nowhere (a new deployment before Notify is set up)."""

from __future__ import annotations

from collections import deque

from notifications.adapters.base import Outgoing

KEEP = 1000  # the last messages kept in memory (a warm Lambda must not grow without bound)


class RecordOnlyAdapter:
    name = "record-only"
    worst_case_seconds = 0.0  # nothing leaves the function

    def __init__(self) -> None:
        self.sent: deque[Outgoing] = deque(maxlen=KEEP)  # what would have gone out, for tests and the benchmark

    def _take(self, message: Outgoing) -> str:
        self.sent.append(message)
        return f"record-only:{message.message_id}"

    def send_email(self, message: Outgoing) -> str:
        return self._take(message)

    def send_sms(self, message: Outgoing) -> str:
        return self._take(message)

    def send_letter(self, message: Outgoing) -> str:
        return self._take(message)

    def find_sent(self, message_id: str) -> str | None:
        return None  # nothing left the building: sending again is harmless
