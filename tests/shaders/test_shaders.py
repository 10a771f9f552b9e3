"""Every WGSL file compiles (with its imports) on naga, and constants specialise."""

from __future__ import annotations

import re
import struct

import pytest

from splatrender.gpu import COPY_SRC, STORAGE, GPUError
from splatrender.shaders import (
    binding_table,
    load_shader,
    shader_names,
    shader_text,
    specialize,
    with_imports,
)
from splatrender.shaders import layout as L

ENTRY = re.compile(r"@compute[^\n]*\n\s*fn\s+(\w+)")


@pytest.mark.gpu
@pytest.mark.parametrize("name", shader_names())
def test_shader_compiles_on_its_own(device, name):
    src = load_shader(name)
    device.validate_shader(src, name)  # library and render-only files too
    for e in ENTRY.findall(src):
        device.compute_pipeline(src, e, f"{name}:{e}")


def test_imported_directives_are_hoisted_to_the_top():
    """WGSL wants `enable`/`diagnostic` before every declaration: those of an imported
    module (visible_slot_subgroup in the projection) move to the top, once each."""
    src = load_shader("project", modules={"visible_slot": shader_text("visible_slot_subgroup")})
    head = src.splitlines()[:2]
    assert head == ["enable subgroups;", "diagnostic(off, subgroup_uniformity);"]
    assert src.count("enable subgroups;") == 1
    assert "enable subgroups" not in load_shader("project")


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


@pytest.mark.gpu
def test_rejected_shader_raises_project_error(device):
    with pytest.raises(GPUError, match="rejected"):
        device.compute_pipeline("@compute @workgroup_size(1) fn main() { let x: u32 = 1.0; }")


def test_binding_table_reads_names_from_the_source():
    table = binding_table(load_shader("project"))
    assert table[0]["frame"] == 0 and table[0]["ids"] == 6
    assert table[1] == {"page": 0, "geometry": 1, "sh_rest": 2}
    with pytest.raises(ValueError, match="two numbers"):
        binding_table(
            "@group(0) @binding(0) var<storage> a: array<u32>;\n"
            "@group(0) @binding(1) var<storage> a: array<u32>;\n"
        )


PROBE = """
// #import layout
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(1)
fn main() {
    out[0] = GEOM_FLOATS; out[1] = GEOM_OPACITY; out[2] = GEOM_QUAT; out[3] = GEOM_DC;
    out[4] = PROJ_FLOATS; out[5] = PROJ_COLOR; out[6] = CHUNK_WORDS;
    out[7] = COUNTER_PAIRS; out[8] = WORKGROUP; out[9] = STAT_INVISIBLE;
    out[10] = bitcast<u32>(LOGIT_MIN); out[11] = bitcast<u32>(ALPHA_MIN);
}
"""


@pytest.mark.gpu
def test_generated_layout_matches_python(device, run):
    """The values WGSL sees are the ones Python packs with (nothing copied by hand)."""
    src = with_imports(PROBE)
    pipe = device.compute_pipeline(src, label="probe")
    buf = device.create_buffer(4 * 12, [STORAGE, COPY_SRC], "probe")
    enc = device.encoder()
    with enc.compute_pass("probe") as cp:
        cp.dispatch(pipe, [device.bind_group(pipe, 0, {"out": buf})], 1)
    device.submit(enc)
    got = struct.unpack("<12I", run(device.read_buffer(buf)))
    f32 = [struct.unpack("<I", struct.pack("<f", v))[0] for v in (L.LOGIT_MIN, L.ALPHA_MIN)]
    assert got == (
        L.GEOM_FLOATS, L.GEOMETRY.offset("opacity"), L.GEOMETRY.offset("quat"),
        L.GEOMETRY.offset("dc"), L.PROJECTED.size, L.PROJECTED.offset("color"),
        L.CHUNK_HEADER.size, L.COUNTER["pairs"], L.WORKGROUP, L.STAT_INVISIBLE, *f32,
    )  # fmt: skip


def test_uniform_structs_pack_to_their_wgsl_size():
    for block in (L.FRAME_UNIFORMS, L.PAGE_UNIFORMS, L.EDIT_UNIFORMS, L.DECODE_COMMON):
        assert block.size % 16 == 0 and f"struct {block.name}" in block.wgsl()
    with pytest.raises(TypeError, match="missing"):
        L.PAGE_UNIFORMS.pack(base=1)
    eye = [float(i % 5 == 0) for i in range(16)]
    page = L.PAGE_UNIFORMS.pack(
        count=3, base=7, opacity=0.5, model=eye, to_object=eye, params=(1, 2, 3, 4)
    )
    assert struct.unpack("<2If", page[:12]) == (3, 7, 0.5)
    assert struct.unpack("<16f", page[16:80]) == tuple(eye) and len(page) == 160
