"""Borough's shared Lambda layer: observability, errors, contracts, reference numbers, calendars."""
