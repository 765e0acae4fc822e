"""Benchmarks for clerk-core: ``python -m benchmarks.verify_token`` and ``python -m benchmarks.coldstart``."""
