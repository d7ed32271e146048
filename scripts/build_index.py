"""Rebuild the index: the same code path as `newsqa build` (same flags).

    python scripts/build_index.py [--corpus PATH ...] [--index DIR]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
