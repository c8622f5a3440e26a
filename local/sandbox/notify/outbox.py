"""The Notify stand-in's outbox page (`/sandbox/outbox`): what was sent, as the resident would read it."""

from __future__ import annotations

import html

from local.sandbox.notify.messages import SandboxMessage


def outbox_html(newest_first: list[SandboxMessage]) -> str:
    """The outbox page: every message as the resident would read it, newest first."""
    items = [_outbox_item(m) for m in newest_first]
    listing = "\n".join(items) if items else '<p class="govuk-body">No messages yet.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Outbox - Borough sandbox GOV.UK Notify</title>\n"
        "<style>body{font-family:arial,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
        "article{border:1px solid #b1b4b6;padding:1rem;margin-bottom:1rem}"
        ".meta{color:#505a5f;font-size:.9rem}.body{white-space:pre-wrap}</style>\n"
        "</head>\n<body>\n<h1>Outbox</h1>\n"
        f'<p class="meta">{len(items)} message(s), newest first. Nothing here was really sent.</p>\n'
        f"{listing}\n</body>\n</html>\n"
    )


def _outbox_item(message: SandboxMessage) -> str:
    e = html.escape
    channel = {"email": "Email", "sms": "Text message", "letter": "Letter"}[message.type]
    subject = f'<h2 class="subject">{e(message.subject)}</h2>' if message.subject else ""
    return (
        f'<article id="{e(message.id)}" data-type="{e(message.type)}">'
        f'<p class="meta">{channel} to {e(message.recipient)} · {e(message.created_at)} · '
        f"status {e(message.status)} · reference {e(message.reference or 'none')}</p>"
        f'{subject}<div class="body">{e(message.body)}</div></article>'
    )
