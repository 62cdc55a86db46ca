import pytest
from tests.e2e.conftest import CADRE, BotRunner, replies_to
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e

@pytest.fixture
def fast_flush(monkeypatch):
    import bot.telegram.aiogram as a
    import bot.telegram.ptb as p
    monkeypatch.setattr(a, "FLUSH_SECONDS", 0.2)
    monkeypatch.setattr(p, "FLUSH_SECONDS", 0.2)

async def test_race(fast_flush, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("sendMessage", status=429, retry_after=1)
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"))
    await fake_api.assert_no_call("sendMessage", lambda c: c.ok and len([x for x in fake_api.calls("sendMessage") if x.ok]) > 1, within=2)
