"""PlayCanvas compressed PLY layout names (pure Python: shared by the numpy reader,
formats/compressed_ply.py, and the runtime decoder, formats/runtime/cply.py)."""

from __future__ import annotations

CHUNK = 256  # splats per chunk (one ``chunk`` element row each)
CHUNK_PROPS = ("min_x", "min_y", "min_z", "max_x", "max_y", "max_z",
               "min_scale_x", "min_scale_y", "min_scale_z",
               "max_scale_x", "max_scale_y", "max_scale_z")  # fmt: skip
COLOR_PROPS = ("min_r", "min_g", "min_b", "max_r", "max_g", "max_b")
PACKED = ("packed_position", "packed_rotation", "packed_scale", "packed_color")
