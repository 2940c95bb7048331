"""The ``dicomcore`` command (``python -m dicomcore``); see :mod:`dicomcore.cli`."""

from __future__ import annotations

import sys

from dicomcore.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
