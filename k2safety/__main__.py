"""``python -m k2safety``: the same command line as ``k2safety``."""

import sys

from k2safety.cli import main

if __name__ == "__main__":
    sys.exit(main())
