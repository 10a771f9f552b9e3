"""Moved to ``splatrender.bench.procedural`` (kept so older bench scripts still import it)."""

from splatrender.bench.procedural import surface_scene  # noqa: F401
