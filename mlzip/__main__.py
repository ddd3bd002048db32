"""`python -m mlzip` is the `mlzip` command."""

from mlzip.cli import main

if __name__ == "__main__":
    main()
