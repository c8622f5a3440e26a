"""Council services as data: each `services/<id>.yaml` defines one service. Adding a service is adding a file.

In Lambda the layer holds the definitions at /opt/services; in the working tree they are at ./services. Both
sit beside the `shared` package's parent folder, so one rule finds them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["text", "textarea", "location", "contact"]
    label: str
    hint: str = ""
    required: bool = True
    max_length: int = Field(default=2000, gt=0)


class ServiceDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    title: str
    summary: str
    topic: str
    team: str
    sla_working_days: int = Field(ge=0, le=60)
    workflow: Literal["triage"] = "triage"
    retention_days: int = Field(gt=0)
    questions: tuple[Question, ...] = Field(min_length=1)

    def public(self) -> dict[str, object]:
        """What residents and other channels see of a definition (everything here is public)."""
        return self.model_dump(mode="json")


class CatalogueError(ValueError):
    """A service definition file is broken; the message names the file, the field and the fix."""


def load_definition(path: Path) -> ServiceDefinition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name}: not valid YAML ({error}). Fix the syntax.") from error
    try:
        definition = ServiceDefinition.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in error.errors()
        )
        raise CatalogueError(f"{path.name}: {problems}") from error
    if definition.id != path.stem:
        raise CatalogueError(f"{path.name}: id is {definition.id!r}; rename the file or set id: {path.stem}")
    return definition


@lru_cache(maxsize=4)
def load_catalogue(directory: Path | None = None) -> dict[str, ServiceDefinition]:
    """Every service definition, keyed by id, in title order. Cached: definitions are read once per process."""
    directory = directory or Path(os.environ.get("BOROUGH_SERVICES_DIR", SERVICES_DIR))
    definitions = [load_definition(path) for path in sorted(directory.glob("*.yaml"))]
    if not definitions:
        raise CatalogueError(f"No service definitions found in {directory}.")
    return {d.id: d for d in sorted(definitions, key=lambda d: d.title)}
