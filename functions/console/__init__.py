"""The staff console: sign-in, roles and permissions as data, the case queue (docs/console.md)."""
