"""Test helpers: the fake Telegram Bot API server and friends."""
