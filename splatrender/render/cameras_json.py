"""The ``cameras.json`` the INRIA 3DGS training code writes, read without numpy."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import RenderError
from .camera import Camera


def load_cameras(path: str | Path) -> list[dict]:
    """The camera entries of a cameras.json (a list of objects)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise RenderError(f"{path}: cannot read cameras ({e})") from e
    if not isinstance(data, list) or not data or not all(isinstance(c, dict) for c in data):
        raise RenderError(f"{path}: expected a non-empty JSON list of camera objects")
    return data


def camera_from_file(
    path: str | Path, index: int, width: int | None = None, height: int | None = None
) -> Camera:
    cams = load_cameras(path)
    if not 0 <= index < len(cams):
        raise RenderError(f"{path}: camera index {index} outside 0..{len(cams) - 1}")
    try:
        return Camera.from_inria(cams[index], width=width, height=height)
    except RenderError as e:
        raise RenderError(f"{path}[{index}]: {e}") from e
