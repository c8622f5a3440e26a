"""An application staff made for a resident (assisted digital, issue 12 item 8): how the resident contacted the
council, why staff applied for them, and who did. Kept on the application (`assisted`) and shown in its history;
the console audits the same step under its own record. The staff member is their console subject, not a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ASSISTED_CHANNELS = frozenset({"phone", "face-to-face", "email", "letter"})  # catalogue.logic.ASSISTED_CHANNELS
MAX_REASON = 500  # console.assisted_pages.MAX_REASON_LENGTH
MAX_SUBJECT = 128


class InvalidAssisted(ValueError):
    """The assisted part is malformed: the message names the field."""


@dataclass(frozen=True)
class AssistedBy:
    channel: str
    reason: str
    staff: str  # the console subject of the member of staff

    @classmethod
    def parse(cls, data: Any) -> AssistedBy:
        if not isinstance(data, dict):
            raise InvalidAssisted("assisted: give the channel, the reason and the member of staff.")
        channel = str(data.get("channel") or "")
        reason = " ".join(str(data.get("reason") or "").split())
        staff = str(data.get("staff") or "").strip()
        if channel not in ASSISTED_CHANNELS:
            raise InvalidAssisted(f"assisted.channel: one of {', '.join(sorted(ASSISTED_CHANNELS))}.")
        if not reason or len(reason) > MAX_REASON:
            raise InvalidAssisted(f"assisted.reason: say why staff applied for the resident (up to {MAX_REASON}).")
        if not staff or len(staff) > MAX_SUBJECT:
            raise InvalidAssisted("assisted.staff: the member of staff who applied.")
        return cls(channel=channel, reason=reason, staff=staff)

    def item(self) -> dict[str, str]:
        return {"channel": self.channel, "reason": self.reason, "staff": self.staff}


CHANNEL_WORDS = {"phone": "by phone", "face-to-face": "face to face", "email": "by email", "letter": "by letter"}


def assisted_words(assisted: Any) -> str:
    """The history's words for an application staff made for a resident ("" for the resident's own)."""
    if not isinstance(assisted, dict) or assisted.get("channel") not in CHANNEL_WORDS:
        return ""
    return f"made by staff for the resident, {CHANNEL_WORDS[assisted['channel']]}: {assisted.get('reason', '')}"
