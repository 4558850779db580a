"""Benchmarks of the konstantly client: see benchmarks/README.md."""
