"""Benchmark scripts (not tests): run with `PYTHONPATH=. .venv/bin/python -m bench.<name>`."""
