"""Scenes as the renderer sees them: the ``SceneSource`` protocol, plain scenes, bounds.

``open_scene`` opens any file, folder, URL or LOD set the one way; ``settle`` streams a
view in completely.
"""

from __future__ import annotations

from .open import open_scene
from .source import SceneSource, SceneUpdate, settle

__all__ = ["SceneSource", "SceneUpdate", "open_scene", "settle"]
