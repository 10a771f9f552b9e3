"""Upload a LOD chunk as it is and expand it into a pool page on the GPU (pure Python)."""

from __future__ import annotations

from ..gpu import COPY_DST, STORAGE, Device
from ..shaders import load_shader
from ..shaders.layout import WORKGROUP, sh_rest_floats
from .chunk import (
    ALPHA_BINS,
    CORE_WORDS,
    QUAT_LEVELS,
    QUAT_MASK,
    ChunkHeader,
    chunk_size,
)


class ChunkDecoder:
    """Runs shaders/lod_decode.wgsl: chunk bytes -> (geometry, sh_rest) page buffers."""

    def __init__(self, device: Device, page_size: int, sh_degree: int) -> None:
        self.device = device
        self.page_size = page_size
        src = load_shader(
            "lod_decode",
            {
                "CORE_WORDS": CORE_WORDS,
                "SH_REST_FLOATS": sh_rest_floats(sh_degree),
                "ALPHA_BINS": float(ALPHA_BINS),
                "QUAT_LEVELS": float(QUAT_LEVELS),
                "QUAT_MASK": QUAT_MASK,
            },
        )
        self.pipeline = device.compute_pipeline(src, label="lod-decode")
        # Worst case: a full page of degree-3 chunk data with its dilation section.
        self.staging = device.create_buffer(
            chunk_size(page_size, 3, dilated=True), [STORAGE, COPY_DST], "lod-chunk-staging"
        )

    def decode(self, data: bytes | memoryview, geometry, sh_rest, source: str = "chunk") -> int:
        """Queue the upload + decode of one chunk into page buffers; returns its count.

        Queue order makes reusing the staging buffer safe: each write lands before the
        next submit and after the previous one.
        """
        h = ChunkHeader.parse(data, source)
        if h.count > self.page_size:
            raise ValueError(f"{source}: {h.count} splats exceed the page size {self.page_size}")
        self.device.write_buffer(self.staging, memoryview(data)[: h.size])
        group = self.device.bind_group(
            self.pipeline, 0, {"chunk": self.staging, "geom": geometry, "sh_rest": sh_rest}
        )
        enc = self.device.encoder("lod-decode")
        with enc.compute_pass("lod-decode") as p:
            p.dispatch(self.pipeline, [group], -(-h.count // WORKGROUP))
        self.device.submit(enc)
        return h.count

    def destroy(self) -> None:
        self.device.destroy_buffer(self.staging)
