"""Benchmarks of the sessions app (`python -m sessions_app.bench.<name>`)."""
