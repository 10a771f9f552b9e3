"""Markdown summary and PNG chart of bench results (one or more result files merged)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .schema import Results, Run, percentile, stage_names, summarize

STAGE_ORDER = (
    "project", "depth-sort", "bin", "tile-scan", "tile-sort", "tile-count", "tile-place", "raster"
)  # fmt: skip


def merge(results: list[Results]) -> Results:
    """One Results holding every run (machine and date of the first)."""
    out = Results(results[0].machine, [], results[0].created)
    for r in results:
        out.runs.extend(r.runs)
    return out


def _ms(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def _si(v: float | None, unit: str) -> str:
    if not v:
        return "-"
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:.2f} {prefix}{unit}"
    return f"{v:.0f} {unit}"


def _ordered_stages(runs: list[Run]) -> list[str]:
    names: dict[str, None] = {}
    for r in runs:
        names.update(dict.fromkeys(stage_names(r)))
    known = [s for s in STAGE_ORDER if s in names]
    return known + [s for s in names if s not in STAGE_ORDER]


def _short_adapter(run: Run) -> str:
    a = run.adapter
    return f"{a.name.split(' (')[0]} {a.backend}".strip()


def _who(run: Run) -> str:
    return f"{run.renderer} · {run.adapter.describe()}"


def markdown(results: Results, chart: str | None = None, notes: list[str] | None = None) -> str:
    m = results.machine
    lines = [
        "# splatrender bench report",
        "",
        f"Machine: {m.cpu or '?'} ({m.cpu_count} logical CPUs), {m.os}; "
        f"Python {m.python}; splatrender {m.splatrender}; run {results.created}.",
        "",
    ]
    for note in notes or []:
        lines += [note, ""]
    if chart:
        lines += [f"![frame time per adapter and stage]({chart})", ""]
    lines += [
        "## Frame time",
        "",
        "Medians over the timed frames; ± is the interquartile range of the per-frame",
        "samples; p95/p99 are tails. CPU ms is this process's CPU time per frame: on a",
        "CPU adapter (lavapipe) that is the rendering work, and it stays put when other",
        "processes load the machine, while wall time does not (see the load notes).",
        "",
        "| renderer · adapter | scene | size | splats drawn | frames | p50 ms ± IQR | p95 | p99 "
        "| CPU ms p50 ± IQR | splats/s | pixels/s | peak GPU MiB | timing |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in results.runs:
        s = summarize(run)
        f = s.get("frame_ms", {})
        mem = f"{run.peak_gpu_bytes / 2**20:,.0f}" if run.peak_gpu_bytes else "-"
        c = s.get("cpu_ms")
        cpu = f"{_ms(c['p50'])} ± {_ms(c['spread'])}" if c else "-"
        lines.append(
            f"| {_who(run)} | {run.scene.name} | {run.settings.size}"
            f"{f' (budget {run.settings.budget:,})' if run.settings.budget else ''} "
            f"| {s.get('drawn_p50') or run.scene.splats:,.0f} | {s['frames']} "
            f"| {_ms(f.get('p50'))} ± {_ms(f.get('spread'))} | {_ms(f.get('p95'))} "
            f"| {_ms(f.get('p99'))} | {cpu} | {_si(s.get('splats_per_s'), '')} "
            f"| {_si(s.get('pixels_per_s'), '')} | {mem} | {run.settings.timing} |"
        )
    for runtime in ("native", "browser"):
        staged = [r for r in results.runs if r.runtime == runtime and stage_names(r)]
        if staged:
            lines += _stage_table(staged, runtime)
    lines += _evals_table(results.runs)
    lines += _peer_table(results.runs)
    notes = list(
        dict.fromkeys(f"{_who(r)}, {r.label()}: {n}" for r in results.runs for n in r.notes)
    )
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _stage_table(staged: list[Run], runtime: str) -> list[str]:
    names = _ordered_stages(staged)
    if runtime == "native":
        head = [
            "## Where the time goes",
            "",
            "Median ms per stage (GPU timestamps around each pass, summed per label;",
            "`cpu-sync` rows time each pass on the CPU around a queue sync instead).",
        ]
    else:
        head = [
            "## Browser frames split",
            "",
            "Median ms from the camera move until the peer signalled a sort for the new",
            "view (`until-sorted`), then until a frame drawn with it finished (`draw`).",
        ]
    lines = ["", *head, ""]
    lines += [
        "| renderer · adapter | scene | size | " + " | ".join(names) + " | visible | pairs |",
        "|---|---|---|" + "---:|" * (len(names) + 2),
    ]
    for run in staged:
        s = summarize(run)
        cells = [_ms(s["stages_ms"].get(n, {}).get("p50")) for n in names]
        vis, pairs = s.get("visible_p50"), s.get("pairs_p50")
        lines.append(
            f"| {_who(run)} | {run.scene.name} | {run.settings.size} | "
            + " | ".join(cells)
            + f" | {'-' if vis is None else f'{vis:,.0f}'} | "
            f"{'-' if pairs is None else f'{pairs:,.0f}'} |"
        )
    return lines


EVAL_ORDER = ("listed", "until_stop", "blended", "threads", "lockstep")


def _evals_table(runs: list[Run]) -> list[str]:
    """Splat-pixel evaluations per image pixel (runs that counted them)."""
    counted = [(r, summarize(r).get("evals_p50")) for r in runs]
    counted = [(r, e) for r, e in counted if e]
    if not counted:
        return []
    lines = [
        "",
        "## Evaluations per pixel",
        "",
        "Median splat-pixel evaluations per image pixel, counted by an untimed rerun of",
        "each frame's raster pass: `listed` = pairs x tile pixels; `until stop` = each",
        "pixel's splats up to the one that stopped it (the floor for these tile lists);",
        "`blended` = those with alpha >= 1/255; `threads` = what the raster threads",
        "evaluated; `lockstep` = the busiest thread of each tile times its threads (the",
        "cost on a CPU adapter). ms/G = raster median ms per 10^9 lockstep evaluations.",
        "",
        "| renderer · adapter | scene | size | listed | until stop | blended | threads "
        "| lockstep | raster ms | ms/G |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run, e in counted:
        s = summarize(run)
        raster = s.get("stages_ms", {}).get("raster", {}).get("p50")
        px = run.settings.width * run.settings.height
        lock = e.get("lockstep")
        per_g = raster / (lock * px / 1e9) if raster and lock else None
        cells = [f"{e[k]:,.1f}" if k in e else "-" for k in EVAL_ORDER]
        lines.append(
            f"| {_who(run)} | {run.scene.name} | {run.settings.size} | "
            + " | ".join(cells)
            + f" | {_ms(raster)} | {_ms(per_g)} |"
        )
    return lines


def _peer_table(runs: list[Run]) -> list[str]:
    """Browser runs side by side: each renderer's median and its ratio to ours."""
    browser = [r for r in runs if r.runtime == "browser"]
    if not browser:
        return []
    groups: dict[tuple, list[Run]] = defaultdict(list)
    for r in browser:
        groups[(r.scene.name, r.settings.size, r.adapter.name)].append(r)
    lines = [
        "",
        "## Side by side in the browser",
        "",
        "Same browser, scene, camera path and canvas size. Ratio = that renderer's median",
        "frame time / splatrender's (above 1: splatrender is faster).",
        "",
        "| scene | size | adapter | API | renderer | p50 ms ± IQR | ratio to splatrender |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for (scene, size, adapter), rs in groups.items():
        ours = [r for r in rs if r.renderer.startswith("splatrender")]
        ref = summarize(ours[0])["frame_ms"]["p50"] if ours else None
        for r in rs:
            f = summarize(r).get("frame_ms", {})
            ratio = f"{f['p50'] / ref:.2f}x" if ref and f.get("p50") else "-"
            lines.append(
                f"| {scene} | {size} | {adapter} | {r.adapter.backend} | {r.renderer} "
                f"| {_ms(f.get('p50'))} ± {_ms(f.get('spread'))} | {ratio} |"
            )
    return lines


def chart(results: Results, path: str | Path) -> None:
    """Horizontal stacked bars: median frame time of every run, split by stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results.runs
    names = _ordered_stages(runs)
    labels = [f"{r.renderer.split()[0]} · {_short_adapter(r)}\n{r.label()}" for r in runs]
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.55 * len(runs)), dpi=110)
    colours = plt.get_cmap("tab10")
    ys = list(range(len(runs)))[::-1]
    drawn_labels: set[str] = set()
    for y, run in zip(ys, runs, strict=True):
        s = summarize(run)
        total = s.get("frame_ms", {}).get("p50") or 0.0
        left = 0.0
        stages = s.get("stages_ms", {})
        if stages and run.settings.timing == "gpu-timestamps":
            for i, n in enumerate(names):
                v = stages.get(n, {}).get("p50") or 0.0
                if v <= 0:
                    continue
                lab = n if n not in drawn_labels else None
                drawn_labels.add(n)
                ax.barh(y, v, left=left, color=colours(i % 10), label=lab)
                left += v
        rest = max(0.0, total - left)
        lab = "frame (other / untimed)" if "other" not in drawn_labels else None
        drawn_labels.add("other")
        ax.barh(y, rest, left=left, color="#bbbbbb", label=lab)
        ms = [f.ms for f in run.frames]
        q1, q3 = percentile(ms, 25), percentile(ms, 75)
        ax.errorbar(total, y, xerr=[[total - q1], [q3 - total]], fmt="none", ecolor="black",
                    capsize=3, lw=0.8)  # fmt: skip
        ax.text(q3, y + 0.3, f" {_ms(total)} ms", va="center", fontsize=8)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("median frame time (ms), split by GPU stage; whiskers: interquartile range")
    ax.set_title("splatrender bench: frame time per adapter and stage")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlim(0, max(percentile([f.ms for f in r.frames], 75) for r in runs) * 1.15)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(
    results: Results,
    markdown_path: str | Path,
    chart_path: str | Path,
    notes: list[str] | None = None,
) -> None:
    """Write the Markdown summary and, beside it, the PNG chart it links to."""
    markdown_path, chart_path = Path(markdown_path), Path(chart_path)
    if results.runs:
        chart(results, chart_path)
    rel = chart_path.name if chart_path.parent == markdown_path.parent else str(chart_path)
    markdown_path.write_text(markdown(results, rel if results.runs else None, notes))
