"""`python -m mlzip.bench DIR ...`: the bench command on its own."""

import typer

from mlzip.bench.command import bench

app = typer.Typer(
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(bench)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
