"""`splatrender info FILE [--json]`: format, version, count, SH degree, bounds, axes, quirks;
for a scene file, its objects, their placements and each local file's facts."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe a scene file (format, splat count, SH degree, bounds, axes, quirks)",
    )
    p.add_argument(
        "scene", help="scene file or SOG folder (any format splatrender reads), or a scene file"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--opacity",
        choices=("auto", "logit", "linear"),
        default="auto",
        help="PLY opacity convention (auto detects HY-World's post-sigmoid values)",
    )
    p.set_defaults(run=run)


def _vec(v) -> str:
    return ", ".join(f"{x:.4g}" for x in v)


def describe(path: str, opacity: str = "auto") -> dict:
    """The facts ``info`` prints, as a JSON-ready dict."""
    import warnings

    import numpy as np

    from splatrender.formats import load, sniff_bytes
    from splatrender.formats._io import make_source
    from splatrender.formats.sniffing import version
    from splatrender.scene.bounds import sample_indices, sample_upright

    src = make_source(path)
    fmt = sniff_bytes(src.data, src.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the quirks list carries the same message
        s = load(path, opacity=opacity) if fmt.startswith("ply") else load(path)
    lo, hi = s.bounds()
    finite = np.isfinite(s.means).all(axis=1)
    # The strided sample the runtime framing takes (a pool holds the splats in file order).
    idx = np.asarray(sample_indices(s.count), np.int64)
    samples = np.column_stack([s.means[idx], s.opacities[idx]]).tolist()
    upright = sample_upright(samples, s.axes, s.format)
    return {
        "file": s.source,
        "format": s.format,
        "version": version(src.data, fmt),
        "bytes": len(src.data),
        "count": s.count,
        "sh_degree": s.sh_degree,
        "axes": s.axes,
        "up": upright.label,
        "up_how": upright.how,
        "up_why": upright.why,
        "bounds": {"min": [float(v) for v in lo], "max": [float(v) for v in hi]},
        "finite_splats": int(finite.sum()),
        "quirks": list(s.quirks),
    }


def describe_objects(path: str, opacity: str = "auto") -> dict | None:
    """A scene file's objects and placements, with ``describe`` of each local plain file
    (a LOD set or a URL is named, not read); None when ``path`` is no scene file."""
    from pathlib import Path

    from splatrender.lod.locate import is_url, lod_manifest
    from splatrender.scene.scene_file import looks_like_scene_file, parse_scene_file

    p = Path(path)
    if not p.is_file() or p.suffix.lower() != ".json":
        return None
    data = p.read_bytes()
    if not looks_like_scene_file(data):
        return None
    spec = parse_scene_file(data, path)
    objects = []
    for o in spec.objects:
        t = o.transform
        entry = {
            "name": o.name,
            "source": o.source,
            "translation": list(t.translation),
            "rotation": list(t.rotation),
            "scale": list(t.scale),
            "opacity": o.opacity,
            "visible": o.visible,
            "modifier": o.modifier.name if o.modifier else None,
        }
        if is_url(o.source) or lod_manifest(o.source) is not None:
            entry["info"] = None  # streamed or remote: opened by view/render, not here
        else:
            entry["info"] = describe(o.source, opacity)
        objects.append(entry)
    return {"file": path, "format": "scene file", "axes": spec.axes, "edits": len(spec.edits),
            "objects": objects}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import json

    scene = describe_objects(args.scene, args.opacity)
    if scene is not None:
        if args.json:
            print(json.dumps(scene, indent=2))
            return 0
        from splatrender.scene.open import scene_name

        print(f"file       {scene['file']}")
        print(f"format     scene file: {len(scene['objects'])} objects, {scene['edits']} edits")
        for o in scene["objects"]:
            i = o["info"]
            what = f"{i['format']}, {i['count']:,} splats, up {i['up']}" if i else "LOD set or URL"
            print(f"  {o['name'] or scene_name(o['source'])}: {o['source']} ({what})")
            print(
                f"    translation ({_vec(o['translation'])})  rotation ({_vec(o['rotation'])})  "
                f"scale ({_vec(o['scale'])})  opacity {o['opacity']:g}"
                + ("" if o["visible"] else "  hidden")
                + (f"  modifier {o['modifier']}" if o["modifier"] else "")
            )
        return 0
    d = describe(args.scene, args.opacity)
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(f"file       {d['file']}")
    print(f"format     {d['format']} (version {d['version']}, {d['bytes']:,} bytes)")
    print(f"splats     {d['count']:,}")
    print(f"SH degree  {d['sh_degree']}")
    print(f"axes       {d['axes']}")
    why = f": {d['up_why']}" if d["up_why"] else ""
    print(f"up         {d['up']} ({d['up_how']}{why})")
    print(f"bounds     min ({_vec(d['bounds']['min'])})  max ({_vec(d['bounds']['max'])})")
    print(f"quirks     {'none' if not d['quirks'] else ''}")
    for q in d["quirks"]:
        print(f"  - {q}")
    return 0
