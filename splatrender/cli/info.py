"""`splatrender info FILE [--json]`: format, version, count, SH degree, bounds, axes, quirks."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe a scene file (format, splat count, SH degree, bounds, axes, quirks)",
    )
    p.add_argument("scene", help="scene file or SOG folder (any format splatrender reads)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--opacity",
        choices=("auto", "logit", "linear"),
        default="auto",
        help="PLY opacity convention (auto detects HY-World's post-sigmoid values)",
    )
    p.set_defaults(run=run)


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


def run(args: argparse.Namespace) -> int:
    import json

    d = describe(args.scene, args.opacity)
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    fmt3 = lambda v: ", ".join(f"{x:.4g}" for x in v)  # noqa: E731
    print(f"file       {d['file']}")
    print(f"format     {d['format']} (version {d['version']}, {d['bytes']:,} bytes)")
    print(f"splats     {d['count']:,}")
    print(f"SH degree  {d['sh_degree']}")
    print(f"axes       {d['axes']}")
    why = f": {d['up_why']}" if d["up_why"] else ""
    print(f"up         {d['up']} ({d['up_how']}{why})")
    print(f"bounds     min ({fmt3(d['bounds']['min'])})  max ({fmt3(d['bounds']['max'])})")
    print(f"quirks     {'none' if not d['quirks'] else ''}")
    for q in d["quirks"]:
        print(f"  - {q}")
    return 0
