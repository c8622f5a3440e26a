"""Benchmarks (`make bench`): figures go into docs/benchmarks.md. Speed is measured here, never in tests."""
