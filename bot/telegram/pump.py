"""What the bot does on a timer, once for both frameworks and at one cadence: PTB runs these on
its job queue, aiogram on an APScheduler of its own (bot/telegram/aiogram.py), both
APScheduler underneath.

    flush_outbox   every FLUSH_SECONDS: messages deferred by flood control or interrupted by
                   a crash, then the outbox (replies put by another process, retries)
    alert_staff    every ALERT_SECONDS: emergency re-alerts, SLA reminders, check-ins
"""

from __future__ import annotations

from bot.messages import Fetch
from bot.service import ConversationService
from bot.telegram.delivery import TRANSPORT, Send, deliver, flush

# Replies another process puts (the desk, the CLI) reach the cadre within two seconds (#13):
# a pass costs two indexed reads when there is nothing to send.
FLUSH_SECONDS = 1.0
ALERT_SECONDS = 30.0


async def flush_outbox(service: ConversationService, send: Send, fetch: Fetch | None = None
                       ) -> None:
    """Deferred and interrupted messages answered (a voice note stored but not downloaded is
    fetched now), then whatever waits in the outbox."""
    await deliver(service, send, await service.resume(TRANSPORT, fetch))
    await flush(service, send)


async def alert_staff(service: ConversationService, send: Send) -> None:
    """Re-alerts and reminders, then a pass of the check-in scheduler (their state is in the
    database, so a restart neither loses nor repeats one)."""
    await deliver(service, send, await service.tick_escalations())
    await deliver(service, send, (await service.tick_checkins()).replies)
