"""Benchmarks: each ``bench_*.py`` module's ``main()`` compares kilab with a reference."""
