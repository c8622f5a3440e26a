"""A broken service definition explained: each pydantic error as `path: what is wrong; how to fix it`, in the
file's own terms (no pydantic-internal levels), with a guess at what was meant for a misspelt name. `causes` (which
errors to report) serves every data file's loader (permits' zones too)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Any

from pydantic import ValidationError

_FEE_TAGS = {"none", "fixed", "per-item", "table"}


def _path(loc: tuple[int | str, ...], extra: str = "") -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and loc[i - 1] == "fee" and part in _FEE_TAGS:
            continue  # pydantic names the fee variant it tried; the file has no such level
        else:
            out += f".{part}" if out else str(part)
    if extra:
        out = f"{out}.{extra}" if out else extra
    return out or "(top level)"


def describe(error: Any, field_names: Collection[str]) -> str:
    """One pydantic error as `path: what is wrong; how to fix it`; `field_names` are every field a definition has
    (to suggest one for a misspelt name)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(error["loc"])
    if kind == "definition":
        return f"{_path(loc, ctx.get('field', ''))}: {ctx['problem']}"
    where = _path(loc)
    if kind == "literal_error":
        expected = [e.strip().strip("'") for e in re.split(r",| or ", ctx.get("expected", "")) if e.strip()]
        close = difflib.get_close_matches(str(value), expected, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(expected)}"
        return f"{where}: {value!r} is not one of {expected}; {hint}"
    if kind == "union_tag_invalid":
        return f"{where}: {ctx.get('tag')!r} is not one of [{ctx.get('expected_tags')}]; use one of them"
    if kind == "extra_forbidden":
        field = str(loc[-1])
        close = difflib.get_close_matches(field, list(field_names), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it (see docs/services.md for the fields)"
        return f"{where}: {field!r} is not a field here; {hint}"
    if kind == "missing":
        return f"{where}: is missing; add it (see docs/services.md)"
    if kind == "string_pattern_mismatch":
        return f"{where}: {value!r} does not match {ctx.get('pattern')}; use lower-case letters, digits and - or _"
    if kind == "too_short":
        return f"{where}: has {ctx.get('actual_length', 0)} items; give at least {ctx.get('min_length')}"
    if kind == "string_type" and isinstance(value, bool):
        return f'{where}: YAML read this as {value}; put the value in quotes, e.g. "yes"'
    shown = repr(value) if len(repr(value)) <= 60 else f"{repr(value)[:57]}..."
    return f"{where}: {error['msg']} (got {shown}); correct it"


def causes(error: ValidationError) -> list[Any]:
    """The errors to report: a list that is only "too short" because its items failed is not a cause."""
    out = []
    for e in error.errors():
        ctx = e.get("ctx") or {}
        items = e.get("input")
        if e["type"] == "too_short" and isinstance(items, list | tuple) and len(items) >= ctx.get("min_length", 0):
            continue
        out.append(e)
    return out
