import sys

from .cli import main

if __name__ == "__main__":  # worker processes spawned by Dask import this module again: only the CLI runs main
    sys.exit(main())
