"""The finance export's contract between the staff console (its form) and the payments service (the export): what
a date range may be. Both check it: the console to word its errors on the page, payments because it trusts no
caller.

A range is two London dates, both included: from 1 November to 30 November is every payment and refund made in
November, by the wall clock in the UK.
"""

from __future__ import annotations

from datetime import date

MAX_DAYS = 92  # a quarter (92 days at most: July to September) in one file


def range_problem(start: date, end: date) -> str | None:
    """What is wrong with the range from `start` to `end` (both included), or None."""
    if end < start:
        return "The end date must be the same as or after the start date"
    if (end - start).days + 1 > MAX_DAYS:
        return f"The date range must be {MAX_DAYS} days or fewer"
    return None
