"""Response templates as data: `data/response_templates.yaml`, validated on load, the words a caseworker starts a
resident update from (per service, and for every service). The case page offers a service's templates and the
general ones; choosing one fills the resident update in (the caseworker edits it before sending)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.case_changes import MAX_TEXT
from shared.catalogue import load_catalogue

TEMPLATES_FILE = Path(__file__).resolve().parent / "data" / "response_templates.yaml"
ANY_SERVICE = "any-service"


class ResponseTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class TemplatesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    templates: dict[str, tuple[ResponseTemplate, ...]]

    def model_post_init(self, _context: Any) -> None:
        unknown = sorted(set(self.templates) - set(load_catalogue()) - {ANY_SERVICE})
        if unknown:
            raise ValueError(f"response templates name services the catalogue does not have: {unknown}")


def parse_templates(text: str) -> TemplatesFile:
    """The templates in a YAML document; raises pydantic's ValidationError (naming what is wrong) or ValueError."""
    return TemplatesFile.model_validate(yaml.safe_load(text))


@cache
def _templates() -> dict[str, tuple[ResponseTemplate, ...]]:
    return dict(parse_templates(TEMPLATES_FILE.read_text()).templates)


def for_service(service_id: str) -> list[ResponseTemplate]:
    """The service's own templates, then those for every service."""
    known = _templates()
    return [*known.get(service_id, ()), *known.get(ANY_SERVICE, ())]
