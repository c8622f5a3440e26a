"""The template catalogue (data/templates.yaml): the words residents read, rendered the way Notify renders them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACEHOLDER = re.compile(r"\(\(([A-Za-z0-9_ -]+)\)\)")  # Notify's ((name)); names are case-insensitive there


class MissingPersonalisation(Exception):
    """A template names a placeholder the message has no value for."""


@dataclass(frozen=True)
class Template:
    name: str
    subject: str
    body: str
    notify_ids: dict[str, str]

    @property
    def placeholders(self) -> tuple[str, ...]:
        names = PLACEHOLDER.findall(self.subject) + PLACEHOLDER.findall(self.body)
        return tuple(dict.fromkeys(name.strip() for name in names))


def render(text: str, personalisation: dict[str, str]) -> str:
    """Fill ((placeholders)) from `personalisation` (keys compared case-insensitively, as Notify does)."""
    values = {key.lower(): value for key, value in personalisation.items()}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip().lower()
        if name not in values:
            raise MissingPersonalisation(name)
        return str(values[name])

    return PLACEHOLDER.sub(fill, text)


@cache
def catalogue() -> dict[str, Template]:
    raw = yaml.safe_load((DATA_DIR / "templates.yaml").read_text(encoding="utf-8"))
    return {
        name: Template(name=name, subject=entry["subject"], body=entry["body"], notify_ids=dict(entry["notify_ids"]))
        for name, entry in raw.items()
    }


def get(name: str) -> Template:
    return catalogue()[name]


def notify_template_ids() -> dict[str, str]:
    """`{"<template>:<channel>": "<Notify template id>"}`: the file's (stand-in) ids, overridden by the environment."""
    ids = {f"{t.name}:{channel}": tid for t in catalogue().values() for channel, tid in t.notify_ids.items()}
    from notifications import settings

    return ids | settings.settings().notify_template_ids
