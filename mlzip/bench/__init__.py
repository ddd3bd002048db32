"""`mlzip bench`: mlzip beside its peers on any directory, with a table, JSON, CSV and a plot.

Importing this package stays light (typer only): the heavy libraries load when the command runs.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``bench`` command to ``app``."""
    from mlzip.bench.command import bench

    app.command("bench")(bench)


__all__ = ["register"]
