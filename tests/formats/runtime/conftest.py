"""Fixtures for runtime-decoder tests: real scene sources and splat-transform outputs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# (id, path relative to the scenes folder); folders are SOG levels (meta.json + WebP)
REAL = [
    ("ply", "kacytran1122_try__point_cloud_iter7000.ply"),
    ("splat", "VictorTrumpel__model.splat"),
    ("cply", "guitar.compressed.ply"),
    ("spz4", "biker.spz"),
    ("spz3", "justdealman__model.spz"),
    ("ksplat", "PostArchiveFaction_compressed_mobile.ksplat"),
    ("sog-playbot", "playbot/2_0"),
    ("sog-taebak", "Taebak_Streaming/2_3"),
]


def source_of(path: Path):
    """Bytes of a file, or a name -> bytes mapping of a folder (what a browser would pass)."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    return path.read_bytes()


def twin_path(path: Path) -> str:
    return str(path / "meta.json") if path.is_dir() else str(path)
