"""Understanding a cadre's Chinese message: normalise, segment, match, extract. Pure and fast."""

from intents.understand import Understanding, understand

__all__ = ["Understanding", "understand"]
