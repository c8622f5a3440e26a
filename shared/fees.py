"""What a service charges: the fee models of a definition and the fee due for a set of answers.

A fee is computed on the server from the clean answers (never taken from a client); the definition's own checks
(`shared.catalogue.ServiceDefinition`) make sure the question a fee depends on is required and always shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from shared.definition_base import ID_PATTERN, DefinitionModel, Text

if TYPE_CHECKING:
    from shared.catalogue import ServiceDefinition


class NoFee(DefinitionModel):
    type: Literal["none"]


class FixedFee(DefinitionModel):
    type: Literal["fixed"]
    amount_pence: int = Field(gt=0)
    description: Text


class PerItemFee(DefinitionModel):
    """`base_pence` covers up to `included_items` items; each further item costs `each_extra_pence`."""

    type: Literal["per-item"]
    question: str = Field(pattern=ID_PATTERN)
    base_pence: int = Field(ge=0)
    included_items: int = Field(ge=0)
    each_extra_pence: int = Field(gt=0)
    max_pence: int | None = Field(default=None, gt=0)
    description: Text


class TableFee(DefinitionModel):
    """The amount for each option of one question."""

    type: Literal["table"]
    question: str = Field(pattern=ID_PATTERN)
    amounts: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    description: Text


Fee = Annotated[NoFee | FixedFee | PerItemFee | TableFee, Field(discriminator="type")]


def compute_fee(definition: ServiceDefinition, answers: Mapping[str, Any]) -> int:
    """The fee in pence for these (clean, valid) answers; 0 for a free service.

    Raises ValueError if the question the fee depends on is unanswered (validate the answers first).
    """
    fee = definition.fee
    if isinstance(fee, FixedFee):
        return fee.amount_pence
    if not isinstance(fee, PerItemFee | TableFee):
        return 0
    answer = answers.get(fee.question)
    if answer is None:
        raise ValueError(f"The fee depends on {fee.question!r}, which is not answered.")
    if isinstance(fee, TableFee):
        return fee.amounts[str(answer)]
    count = len(answer) if isinstance(answer, list) else int(answer)
    if count <= 0:
        return 0
    amount = fee.base_pence + max(0, count - fee.included_items) * fee.each_extra_pence
    return min(amount, fee.max_pence) if fee.max_pence else amount


def pounds(pence: int) -> str:
    """An amount in pounds for a file: `1234.50`, `-8.00` (two decimals, no symbol, no separators)."""
    sign = "-" if pence < 0 else ""
    whole = abs(pence)
    return f"{sign}{whole // 100}.{whole % 100:02d}"


def format_pounds(pence: int) -> str:
    """An amount as a receipt reads it: `£1,234.50` (always two decimals; `-£8.00` owed back)."""
    sign = "-" if pence < 0 else ""
    whole = abs(pence)
    return f"{sign}£{whole // 100:,}.{whole % 100:02d}"
