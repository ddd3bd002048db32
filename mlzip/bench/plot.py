"""A picture of the trade-off: savings against decompression speed, one labelled point per tool."""

from __future__ import annotations

from pathlib import Path

from mlzip.bench.harness import BenchRun


def write_plot(run: BenchRun, path: Path) -> None:
    # The object API with the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    plotted = 0
    for entry in run.tools:
        s = entry.summary
        if s is None or s.savings is None or not s.decompress_mb_s_wall:
            continue
        is_mlzip = entry.codec.name.startswith("mlzip")
        x, y = s.decompress_mb_s_wall, 100 * s.savings
        axes.scatter([x], [y], s=60, marker="o" if is_mlzip else "s", color="tab:red" if is_mlzip else "tab:blue", zorder=3)
        label = entry.codec.name + (f" ({s.failed} failed)" if s.failed else "")
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
        plotted += 1
    axes.set_xscale("log")
    axes.margins(x=0.15, y=0.1)  # room for the labels of the outermost points
    axes.set_xlabel("decompress speed, MB of JPEG per second (wall, log scale)")
    axes.set_ylabel("savings, % (failed files charged at full size)")
    total_mb = sum(f.size for f in run.files) / 1e6
    axes.set_title(f"mlzip bench: {len(run.files)} files, {total_mb:.1f} MB; up and right is better")
    axes.grid(True, which="both", alpha=0.3)
    if plotted == 0:
        axes.text(0.5, 0.5, "no tool gave any file back", transform=axes.transAxes, ha="center")
        axes.set_xlim(0.1, 100)
    figure.tight_layout()
    figure.savefig(path, format="png")
