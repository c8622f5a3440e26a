"""Outside services the permits service depends on, each behind an adapter with a local stand-in."""
