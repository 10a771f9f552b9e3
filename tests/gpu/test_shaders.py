"""Every WGSL file compiles (with its imports) on naga, and constants specialise."""

from __future__ import annotations

import re

import pytest

from splatrender.gpu import GPUError, load_shader
from splatrender.gpu.shaders import shader_names, specialize

ENTRY = re.compile(r"@compute[^\n]*\n\s*fn\s+(\w+)")


@pytest.mark.parametrize("name", shader_names())
def test_shader_compiles_on_its_own(device, name):
    src = load_shader(name)
    device.validate_shader(src, name)  # library and render-only files too
    for e in ENTRY.findall(src):
        device.compute_pipeline(src, e, f"{name}:{e}")


def test_specialize_replaces_declared_constants_only():
    src = "const A: u32 = 4u;\nconst B: f32 = 1.0;\nconst FLAG: bool = false;\n"
    out = specialize(src, {"A": 16, "B": 0.5, "FLAG": True})
    assert "const A: u32 = 16u;" in out
    assert "const B: f32 = 0.5f;" in out
    assert "const FLAG: bool = true;" in out
    with pytest.raises(KeyError, match="no `const C`"):
        specialize(src, {"C": 1})
    with pytest.raises(ValueError):
        specialize(src, {"A": -1})


def test_rejected_shader_raises_project_error(device):
    with pytest.raises(GPUError, match="rejected"):
        device.compute_pipeline("@compute @workgroup_size(1) fn main() { let x: u32 = 1.0; }")
