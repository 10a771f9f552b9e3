"""Scene files: a JSON list of objects, each a splat source with a placement.

    {
      "axes": "RDF",
      "edits": [{"shapes": [{"kind": "sphere", "size": 0.3}], "mode": "set_rgb",
                 "color": [1, 0, 0, 1], "softness": 0.05}],
      "objects": [
        {"source": "guitar.compressed.ply", "name": "guitar"},
        {"source": "https://example.org/biker.spz", "translation": [1.5, 0, 0],
         "rotation_deg": [0, 90, 0], "scale": 0.5, "opacity": 0.8, "visible": true,
         "up": "+y", "modifier": {"builtin": "grade", "params": [0.5, 1, 1, 0.1]}}
      ]
    }

``source`` is anything ``open_scene`` opens (a file, SOG folder, LOD set, URL), relative
to the scene file. ``axes`` (optional) is the world's convention, else the first
object's; ``up`` (optional) overrides an object's own up, which is turned onto the
world's. Transform keys are those of ``Transform.from_dict``; ``edits`` (optional) are
``Edit.from_dict``'s (scene/edits.py); ``modifier`` (optional) names an example modifier
and its params (scene/modifiers.py).
"""

from __future__ import annotations

import json
import posixpath
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormatError, SplatError
from ..lod.locate import is_url
from .edits import Edit, pack_edits
from .modifiers import Modifier
from .objects import SceneObject, check_opacity
from .source import SceneSource
from .transform import Transform
from .upright import parse_up

SCENE_KEYS = {"axes", "objects", "up", "edits"}
PLACEMENT_KEYS = {"translation", "rotation", "rotation_deg", "scale"}
OBJECT_KEYS = {"source", "name", "visible", "opacity", "up", "modifier"} | PLACEMENT_KEYS
AXES = ("RDF", "RUB")
MAX_OBJECTS = 1024


@dataclass
class ObjectSpec:
    """One object to open: where its splats are and how it is placed."""

    source: str
    transform: Transform = field(default_factory=Transform)
    visible: bool = True
    opacity: float = 1.0
    name: str = ""
    up: tuple[float, float, float] | None = None
    modifier: Modifier | None = None

    def placed(self, source: SceneSource) -> SceneObject:
        """The object, its ``source`` opened."""
        return SceneObject(
            source, self.transform, self.visible, self.opacity, self.name, self.up,
            self.source, self.modifier,
        )  # fmt: skip


@dataclass
class SceneSpec:
    objects: list[ObjectSpec]
    axes: str | None = None
    up: tuple[float, float, float] | None = None
    edits: list[Edit] = field(default_factory=list)


def looks_like_scene_file(data: bytes) -> bool:
    """Whether ``data`` is a scene file (JSON with an ``objects`` list), cheaply."""
    head = bytes(data[:4096]).lstrip()
    if not head.startswith(b"{") or b'"objects"' not in bytes(data):
        return False
    try:
        doc = json.loads(bytes(data))
    except ValueError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("objects"), list)


def resolve(base: str, source: str) -> str:
    """``source`` relative to the scene file at ``base`` (a path or URL)."""
    if is_url(source) or not base:
        return source
    if is_url(base):
        return urllib.parse.urljoin(base, source)
    if posixpath.isabs(source) or Path(source).is_absolute():
        return source
    return str(Path(base).parent / source)


def parse_scene_file(data: bytes, location: str) -> SceneSpec:
    """The objects of a scene file at ``location``; ``FormatError`` naming the file and
    the entry for anything malformed."""
    try:
        doc = json.loads(bytes(data))
    except ValueError as e:
        raise FormatError(location, f"not JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise FormatError(location, 'a scene file is a JSON object with an "objects" list')
    _known(doc, SCENE_KEYS, location, "the scene")
    items = doc["objects"]
    if not 1 <= len(items) <= MAX_OBJECTS:
        raise FormatError(location, f"a scene holds 1..{MAX_OBJECTS} objects, got {len(items)}")
    axes = doc.get("axes")
    if axes is not None and axes not in AXES:
        raise FormatError(location, f"axes must be one of {AXES}, got {axes!r}")
    edits = doc.get("edits", [])
    if not isinstance(edits, list):
        raise FormatError(location, '"edits" must be a list')
    try:
        up = _up(doc["up"]) if "up" in doc else None
        objects = [_object(item, i, location) for i, item in enumerate(items)]
        edit_list = [_edit(e, i) for i, e in enumerate(edits)]
        pack_edits(edit_list)  # refuse too many now, naming the file
    except SplatError as e:
        raise FormatError(location, str(e)) from None
    return SceneSpec(objects, axes, up, edit_list)


def _edit(item: object, i: int) -> Edit:
    try:
        return Edit.from_dict(item)  # type: ignore[arg-type]
    except SplatError as e:
        raise SplatError(f"edit {i}: {e}") from None


def _up(value: object) -> tuple[float, float, float]:
    """``"-y"`` or ``[0, -1, 0]``."""
    if isinstance(value, list):
        return parse_up(",".join(str(v) for v in value))
    if isinstance(value, str):
        return parse_up(value)
    raise SplatError(f'up must be an axis like "-y" or a list of 3 numbers, got {value!r}')


def _known(d: dict, keys: set[str], location: str, what: str) -> None:
    extra = sorted(set(d) - keys)
    if extra:
        raise FormatError(location, f"{what}: unknown key(s) {extra}; known: {sorted(keys)}")


def _object(item: object, i: int, location: str) -> ObjectSpec:
    what = f"object {i}"
    if not isinstance(item, dict) or not isinstance(item.get("source"), str):
        raise SplatError(f'{what} must be a JSON object with a "source" string')
    _known(item, OBJECT_KEYS, location, what)
    what = f"object {i} ({item.get('name') or item['source']})"
    visible = item.get("visible", True)
    if not isinstance(visible, bool):
        raise SplatError(f"{what}: visible must be true or false")
    try:
        transform = Transform.from_dict({k: item[k] for k in PLACEMENT_KEYS if k in item})
    except SplatError as e:
        raise SplatError(f"{what}: {e}") from None
    return ObjectSpec(
        resolve(location, item["source"]),
        transform,
        visible,
        check_opacity(item.get("opacity", 1.0), what),
        str(item.get("name", "")),
        _up(item["up"]) if "up" in item else None,
        _modifier(item["modifier"], what) if "modifier" in item else None,
    )


def _modifier(value: object, what: str) -> Modifier:
    try:
        return Modifier.from_dict(value)
    except SplatError as e:
        raise SplatError(f"{what}: {e}") from None


def specs_of(sources: Sequence[str]) -> SceneSpec:
    """Several sources (the command line's) as a scene, each where its file puts it."""
    return SceneSpec([ObjectSpec(str(s)) for s in sources])
