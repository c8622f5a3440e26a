"""What the models of the project's data files (service definitions; permits' zones) are built from: a strict,
frozen base model, the error that names a field and its fix (each loader turns it into `file: field: problem`),
and the id patterns."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"

Text = Annotated[str, Field(min_length=1)]


class DefinitionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def definition_problem(field: str, problem: str) -> PydanticCustomError:
    """A definition error about `field` (relative to the model that raises it), with the fix in `problem`."""
    return PydanticCustomError("definition", "{problem}", {"field": field, "problem": problem})
