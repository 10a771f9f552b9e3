"""Streamed SOG: decoded level files are cached under a byte budget, so nodes evicted
from a full pool come back without a refetch (counted with a counting fetcher)."""

from __future__ import annotations

import asyncio
import collections

import pytest

from splatrender.io.fetch import FileFetcher
from splatrender.lod.scene import LodScene
from splatrender.lod.sog_source import SogLodSource
from splatrender.render.camera import Camera


class CountingFetcher(FileFetcher):
    """A folder fetcher that counts the requests for each path."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.counts: collections.Counter[str] = collections.Counter()

    async def fetch(self, path: str, offset: int = 0, size: int | None = None) -> bytes:
        self.counts[path] += 1
        return await super().fetch(path, offset, size)


def _open(scenes_dir, cache_bytes: int):
    fetcher = CountingFetcher(scenes_dir / "playbot")
    return fetcher, SogLodSource.open("lod-meta.json", fetcher, cache_bytes=cache_bytes)


def _nodes_of_file(src: SogLodSource, index: int) -> list[int]:
    return [n for n, (f, _, _) in src.ranges.items() if f == index]


def test_decoded_files_are_reused_under_a_byte_budget(run, scenes_dir):
    """CPU only: loading a node entropy-decodes its level file once; the LRU keeps files
    within the budget (the newest may exceed it alone) and refetches what it dropped."""

    async def main():
        fetcher, opening = _open(scenes_dir, cache_bytes=1 << 30)
        src = await opening
        for _ in range(2):
            for node in src.hierarchy.nodes:
                part, off, cnt = await src.load(node)
                assert cnt == src.hierarchy.nodes[node].count and off + cnt <= part.count
        assert src.decodes == len(src.files) == 7
        assert max(fetcher.counts.values()) == 1, fetcher.counts  # nothing fetched twice
        everything = src.cached_bytes

        # A budget of about two files: LRU order, bounded, refetch once dropped.
        fetcher, opening = _open(scenes_dir, cache_bytes=0)
        small = await opening
        sizes = {}
        for f in range(len(small.files)):
            await small.load(_nodes_of_file(small, f)[0])
            sizes[f] = small.cached_bytes  # the budget 0 keeps the newest file only
            assert list(small._files) == [f]
        assert sum(sizes.values()) == everything
        small.cache_bytes = sizes[5] + sizes[6]
        for f in (5, 6, 5):  # 5 used last: 6 is the least recently used
            await small.load(_nodes_of_file(small, f)[0])
        await small.load(_nodes_of_file(small, 4)[0])
        assert small.cached_bytes <= max(small.cache_bytes, sizes[4])
        assert 6 not in small._files and 4 in small._files
        before = fetcher.counts[small.files[6]]
        await small.load(_nodes_of_file(small, 6)[0])
        assert fetcher.counts[small.files[6]] == before + 1  # dropped: fetched again

    run(main())


async def _settle(lod: LodScene, cam: Camera):
    for _ in range(600):
        info = await lod.update(cam)
        s = lod.streamer
        if not info.wanted and not s.busy and not s.ready:
            return info
        await asyncio.sleep(0.01)
    raise AssertionError("streaming did not settle")


@pytest.mark.gpu
def test_evicted_nodes_come_back_without_a_refetch(device, run, scenes_dir):
    """A pool too small for both halves of playbot at once: turning from one side to the
    other evicts the first side's nodes; turning back re-uploads them from the cache."""

    async def main():
        fetcher, opening = _open(scenes_dir, cache_bytes=64 << 20)
        src = await opening
        lod = LodScene(src, device, budget=70_000, pool_pages=6)
        await lod.load_roots()
        try:
            for z in (1.6, -1.6, 1.6, -1.6):  # the two leaves lie on either side of z = 0
                cam = Camera.look_at((0, -0.5, z), (0, -0.5, 0), (0, -1, 0), width=64, height=48)
                info = await _settle(lod, cam)
                assert sorted(info.drawn) == sorted(info.target)
            assert lod.table.evictions >= 2  # both sides were evicted and uploaded again
            assert max(fetcher.counts.values()) == 1, fetcher.counts
            assert src.decodes <= len(src.files)
        finally:
            await lod.close()

    run(main())
