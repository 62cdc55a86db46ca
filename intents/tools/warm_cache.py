"""Build the matcher once at install time so the first `junxiu ask` starts fast."""

from __future__ import annotations

import sys
from datetime import date


def main() -> int:
    from intents import understand

    understand("我能参加荣誉疗养吗", date(2026, 1, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
