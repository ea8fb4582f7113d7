"""Benchmarks: speed and memory goals measured against a peer in the same run (never timed test assertions)."""
