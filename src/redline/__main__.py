"""``python -m redline``: the same entry point as the ``redline`` console script."""

from redline.cli.app import main

if __name__ == "__main__":
    main()
