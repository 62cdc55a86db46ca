"""Train the intent model once at install time (`make install`), so the first `junxiu ask`
starts fast: the weights land in the user's cache, keyed on the data and the code."""

from __future__ import annotations

import sys
from datetime import date


def main() -> int:
    from intents.model import cache_path, load_cached

    if load_cached(cache_path()) is None:
        from intents.train import main as train

        train()
    from intents import understand

    understand("我能参加荣誉疗养吗", date(2026, 1, 1))  # fills jieba's cache too
    return 0


if __name__ == "__main__":
    sys.exit(main())
