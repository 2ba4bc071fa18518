"""Benchmarks: scripts that print figures (timings never go in tests)."""
