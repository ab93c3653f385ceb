"""Benchmarks, run as modules (``python -m bench.compliance``); see docs/PERFORMANCE.md."""
