"""Streaming from a misbehaving local HTTP server: no crash, no hole, retries, rejects."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from splatrender.io.fetch import CorruptData, FileFetcher, HttpFetcher
from splatrender.lod.build import build
from splatrender.lod.scene import LodScene
from splatrender.lod.stream import Streamer
from splatrender.render.camera import Camera
from tests.lod.flaky_server import FlakyServer
from tests.lod.synth import random_splats
from tests.lod.test_select import _check_partition

pytestmark = pytest.mark.gpu

BACKOFF = 0.02


@pytest.fixture(scope="module")
def lodset(tmp_path_factory):
    out = tmp_path_factory.mktemp("lodstream")
    build(random_splats(12_000, 0, seed=4, extent=10.0), out, chunk=256, fanout=4, progress=False)
    return out


def _flight(n: int):
    """A scripted fly-in towards a point of the scene, then a turn."""
    for t in range(n):
        d = 40.0 * 0.9 ** min(t, 30)
        ang = 0.05 * max(0, t - 30)
        eye = (2 + d * math.sin(ang), -0.4 * d - 0.5, 3 - d * math.cos(ang))
        yield Camera.look_at(eye, (2, 0, 3), (0, -1, 0), width=160, height=120, fov_y_deg=60)


def test_streaming_from_a_flaky_server(device, run, lodset, caplog):
    caplog.set_level(logging.INFO, "splatrender.lod")
    with FlakyServer(str(lodset), failures=2) as srv:
        # one chunk is always corrupt: it must be rejected, logged, and never drawn
        import json

        m = json.loads((lodset / "lod.json").read_text())

        def near(c):
            b = c["box"]
            return math.dist(((b[0] + b[3]) / 2, (b[1] + b[4]) / 2, (b[2] + b[5]) / 2), (2, 0, 3))

        leafish = min((c for c in m["chunks"] if c["level"] == 1), key=near)
        srv.always_corrupt.add(f"chunks.bin@{leafish['offset']}")

        async def main():
            lod = await LodScene.open(
                srv.url + "lod.json",
                device,
                budget=4000,
                concurrency=3,
                max_uploads=8,
                streamer_options={"attempts": 4, "backoff": BACKOFF, "cooldown": 1000.0},
            )
            h = lod.hierarchy
            infos = []
            for cam in _flight(120):
                info = await lod.update(cam)
                _check_partition(h, info.drawn)  # no hole, no node with its descendants
                assert info.drawn_splats <= 4000
                assert all(i in lod.table for i in info.drawn)
                pages = [p for i in info.drawn for p in lod.table.pages(i)]
                assert lod.pool.active == pages
                infos.append(info)
                await asyncio.sleep(0.005)  # the frame loop yields; fetches progress
            # let the remaining fetches finish (bounded), then settle
            for _ in range(400):
                info = await lod.update(cam)
                if not lod.streamer.busy and not lod.streamer.ready:
                    break
                await asyncio.sleep(0.01)
            stats = lod.streamer.stats
            await lod.close()
            return lod, infos, info, stats

        lod, _infos, last, stats = run(main())
        bad = leafish["id"]
        assert bad not in lod.table
        assert stats.retries > 0 and stats.corrupt > 0 and stats.failures >= 1
        assert any("corrupt" in r.getMessage() for r in caplog.records)
        # detail arrived: the final frame draws more than the roots
        assert last.drawn_splats > lod.hierarchy.root_count()
        assert any(lod.hierarchy.nodes[i].level == 0 for i in last.drawn)
        # exponential back-off between attempts at the always-corrupt chunk
        t = srv.attempts[f"chunks.bin@{leafish['offset']}"]
        assert len(t) == 4  # attempts, then parked (cool-down): no hammering
        for k in range(len(t) - 1):
            assert t[k + 1] - t[k] >= 0.5 * BACKOFF * 2**k


def test_frame_loop_not_blocked_by_a_stalled_request(device, run, lodset):
    with FlakyServer(str(lodset), failures=0) as srv:
        import json

        m = json.loads((lodset / "lod.json").read_text())
        for c in m["chunks"]:
            if c["level"] < m["levels"].__len__() - 1:
                srv.stall_keys.add(f"chunks.bin@{c['offset']}")

        async def main():
            lod = await LodScene.open(srv.url + "lod.json", device, budget=4000)
            frames = 0
            for cam in _flight(20):
                info = await lod.update(cam)  # returns although every fetch is stalled
                assert info.drawn == lod.hierarchy.roots or set(info.drawn) == set(
                    lod.hierarchy.roots
                )
                frames += 1
            assert lod.streamer.busy
            srv.release.set()
            await lod.streamer.drain(30)
            await lod.close()
            return frames

        assert run(main()) == 20


def test_streamer_priority_and_concurrency(run, tmp_path):
    (tmp_path / "f").write_bytes(bytes(range(256)) * 4)
    order, live, peak = [], [0], [0]

    async def load(key):
        live[0] += 1
        peak[0] = max(peak[0], live[0])
        await asyncio.sleep(0.001)
        live[0] -= 1
        order.append(key)
        if key == "bad":
            raise CorruptData("nope")
        return await FileFetcher(tmp_path).fetch("f", key * 4 if key != "bad" else 0, 4)

    async def main():
        s = Streamer(load, concurrency=2, attempts=2, backoff=0.001)
        s.schedule([5, 4, 3, 2, 1, "bad"])
        await s.drain(10)
        return s

    s = run(main())
    assert peak[0] <= 2
    assert order[:2] == [5, 4]
    assert s.stats.corrupt == 2 and s.stats.failures == 1 and s.stats.completed == 5
    assert dict(s.ready)[5] == bytes([20, 21, 22, 23])


def test_http_fetcher_range(run, lodset):
    with FlakyServer(str(lodset), failures=0) as srv:
        data = run(HttpFetcher(srv.url).fetch("chunks.bin", 10, 20))
    assert data == (lodset / "chunks.bin").read_bytes()[10:30]
