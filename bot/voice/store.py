"""Voice notes on disk: every recording a cadre sends is kept (nothing is lost if recognition
fails), for `voice_audio_days` (default 180), then deleted; `cadres forget` deletes a cadre's
at once (bot/privacy.py). The rows keep their transcripts; a purged file's path points nowhere,
which every reader already allows for."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

_STAMP = re.compile(r"(?<!\d)(\d{14})(?!\d)|(?<!\d)(\d{14})\d{6}(?!\d)")
PURGE_EVERY = timedelta(hours=24)


def stamp_of(path: Path) -> datetime | None:
    """When a file was kept, from its name (cadre-YYYYmmddHHMMSS-update.ogg,
    reply-YYYYmmddHHMMSSffffff-n.ogg); None for a name without a stamp."""
    m = _STAMP.search(path.name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) or m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


class AudioStore:
    def __init__(self, root: Path, keep_days: float) -> None:
        self.root = root
        self.keep_for = timedelta(days=keep_days)
        self._last_purge: datetime | None = None

    def keep(self, name: str, audio: bytes, now: datetime) -> Path:
        """Writes one recording; old ones are purged at most once a day, on the way."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        path.write_bytes(audio)
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            self.purge(now)
        return path

    def purge(self, now: datetime) -> int:
        """Deletes the recordings kept longer than the retention period; returns how many."""
        self._last_purge = now
        if not self.root.is_dir():
            return 0
        cutoff = now.astimezone(UTC) - self.keep_for
        gone = 0
        for path in self.root.glob("*.ogg"):
            kept = stamp_of(path)
            if kept is None:
                kept = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if kept < cutoff:
                path.unlink(missing_ok=True)
                gone += 1
        if gone:
            log.info("deleted %d voice recordings older than %d days", gone,
                     self.keep_for.days)
        return gone


def note_name(cadre_id: int, update_id: int | None, now: datetime) -> str:
    return f"{cadre_id}-{now.astimezone(UTC):%Y%m%d%H%M%S}-{update_id or 0}.ogg"
