"""Bin collection reminders (filled in below)."""

from __future__ import annotations

from typing import Any

from shared.events import EventEnvelope, EventType

EVENT_TYPES: tuple[EventType, ...] = ()


def compose(event: EventEnvelope) -> list[dict[str, Any]]:
    return []
