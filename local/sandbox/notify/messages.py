"""The Notify stand-in's templates and messages, and how Notify's API shows them (JSON shapes of a created
message, a message, a template and a delivery receipt)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

TEMPLATES_FILE = Path(__file__).resolve().parents[3] / "functions" / "notifications" / "data" / "templates.yaml"
PLACEHOLDER = re.compile(r"\(\(([A-Za-z0-9_ -]+)\)\)")


@dataclass(frozen=True)
class SandboxTemplate:
    id: str
    type: str  # email | sms | letter
    name: str
    subject: str
    body: str
    version: int = 1


@dataclass
class SandboxMessage:
    id: str
    type: str
    template: SandboxTemplate
    recipient: str  # email address, E.164 number, or the address as one line for letters
    personalisation: dict[str, Any]
    reference: str | None
    subject: str
    body: str
    created_at: str
    status: str = "created"
    sent_at: str | None = None
    completed_at: str | None = None
    address: list[str] = field(default_factory=list)
    one_click_unsubscribe_url: str | None = None


class NotifyError(Exception):
    """An error answered the way Notify answers: `{"errors": [{"error": ..., "message": ...}], "status_code": ...}`."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def load_templates(path: Path = TEMPLATES_FILE) -> list[SandboxTemplate]:
    """Borough's templates (functions/notifications/data/templates.yaml) as sandbox templates, one per channel."""
    out = []
    for name, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
        for kind, template_id in entry.get("notify_ids", {}).items():
            out.append(
                SandboxTemplate(
                    id=template_id,
                    type=kind,
                    name=f"{name} ({kind})",
                    subject=entry.get("subject", "") if kind != "sms" else "",
                    body=entry["body"],
                )
            )
    return out


def now_iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def render(text: str, values: dict[str, Any]) -> str:
    lowered = {str(k).lower(): v for k, v in values.items()}
    return PLACEHOLDER.sub(lambda m: str(lowered.get(m.group(1).strip().lower(), m.group(0))), text)


def created_json(message: SandboxMessage, base_url: str) -> dict[str, Any]:
    content: dict[str, Any] = {"body": message.body}
    if message.type == "email":
        content |= {
            "subject": message.subject,
            "from_email": "borough.sandbox@notifications.service.gov.uk",
            "one_click_unsubscribe_url": message.one_click_unsubscribe_url,
        }
    elif message.type == "sms":
        content["from_number"] = "Borough"
    else:
        content["subject"] = message.subject
    out = {
        "id": message.id,
        "reference": message.reference,
        "content": content,
        "uri": f"{base_url}/v2/notifications/{message.id}",
        "template": template_json(message.template, base_url),
        "scheduled_for": None,
    }
    if message.type == "letter":
        out["postage"] = "second"
    return out


def template_json(template: SandboxTemplate, base_url: str) -> dict[str, Any]:
    return {"id": template.id, "version": template.version, "uri": f"{base_url}/v2/template/{template.id}"}


def message_json(message: SandboxMessage, base_url: str) -> dict[str, Any]:
    lines = {f"line_{n}": (message.address[n - 1] if n <= len(message.address) else None) for n in range(1, 7)}
    return {
        "id": message.id,
        "reference": message.reference,
        "email_address": message.recipient if message.type == "email" else None,
        "phone_number": message.recipient if message.type == "sms" else None,
        **lines,
        "postcode": message.address[-1] if message.address else None,
        "postage": "second" if message.type == "letter" else None,
        "type": message.type,
        "status": message.status,
        "template": template_json(message.template, base_url),
        "body": message.body,
        "subject": message.subject or None,
        "created_at": message.created_at,
        "created_by_name": None,
        "sent_at": message.sent_at,
        "completed_at": message.completed_at,
        "scheduled_for": None,
        "one_click_unsubscribe_url": message.one_click_unsubscribe_url,
        "is_cost_data_ready": False,
        "cost_in_pounds": None,
        "cost_details": {},
    }


def receipt_json(message: SandboxMessage) -> dict[str, Any]:
    """Notify's delivery receipt (the body of its callback) for a message in a final status."""
    return {
        "id": message.id,
        "reference": message.reference,
        "to": message.recipient,
        "status": message.status,
        "created_at": message.created_at,
        "completed_at": message.completed_at,
        "sent_at": message.sent_at,
        "notification_type": message.type,
        "template_id": message.template.id,
        "template_version": message.template.version,
    }
