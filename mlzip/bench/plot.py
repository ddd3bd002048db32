"""A picture of the trade-off: savings against decompression speed, one labelled point per tool."""

from __future__ import annotations

import math
from pathlib import Path

from mlzip.bench.harness import BenchRun


def write_plot(run: BenchRun, path: Path) -> None:
    # The object API with the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Tools that land on the same spot (e.g. two levels taking the same path) share one label.
    points: dict[tuple[float, float], list[str]] = {}
    for entry in run.tools:
        s = entry.summary
        if s is None or s.savings is None or not s.decompress_mb_s_wall:
            continue
        key = (round(math.log10(s.decompress_mb_s_wall), 2), round(100 * s.savings, 1))
        points.setdefault(key, []).append(entry.codec.name + (f" ({s.failed} failed)" if s.failed else ""))
    for (log_x, y), names in points.items():
        is_mlzip = names[0].startswith("mlzip")
        axes.scatter([10**log_x], [y], s=60, marker="o" if is_mlzip else "s", color="tab:red" if is_mlzip else "tab:blue", zorder=3)
        axes.annotate(", ".join(names), (10**log_x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
    axes.set_xscale("log")
    axes.margins(x=0.15, y=0.1)  # room for the labels of the outermost points
    axes.set_xlabel("decompress speed, MB of JPEG per second (wall, log scale)")
    axes.set_ylabel("savings, % (failed files charged at full size)")
    total_mb = sum(f.size for f in run.files) / 1e6
    axes.set_title(f"mlzip bench: {len(run.files)} files, {total_mb:.1f} MB; up and right is better")
    axes.grid(True, which="both", alpha=0.3)
    if not points:
        axes.text(0.5, 0.5, "no tool gave any file back", transform=axes.transAxes, ha="center")
        axes.set_xlim(0.1, 100)
    figure.tight_layout()
    figure.savefig(path, format="png")
