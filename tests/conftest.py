"""Shared fixtures for the whole test suite."""

from collections.abc import AsyncIterator

import pytest

from tests.helpers.fake_bot_api import FakeBotAPI


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A started fake Bot API server on 127.0.0.1, stopped after the test."""
    async with FakeBotAPI() as api:
        yield api
