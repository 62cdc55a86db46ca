"""All mapped classes, typed (SQLAlchemy 2.0). Queries live in the repository modules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MinutesBetween(ColumnElement[int]):
    """Whole minutes from column `earlier` to column `later` of the same row, floored (NULL
    when either is): the expression of a generated column, so that reports group tickets by
    response or resolution time through an index instead of computing it row by row. Spelled
    as the reports computed it before (bot/migrations/versions/006_report_indexes.py)."""

    type = Integer()
    inherit_cache = True

    def __init__(self, later: str, earlier: str) -> None:
        self.later, self.earlier = later, earlier


@compiles(MinutesBetween, "sqlite")
def _minutes_sqlite(element: MinutesBetween, compiler: Any, **kw: Any) -> str:
    return (f"CAST(((julianday({element.later}) - julianday({element.earlier})) * 86400.0) "
            "/ (60 + 0.0) AS INTEGER)")


@compiles(MinutesBetween)
def _minutes_postgresql(element: MinutesBetween, compiler: Any, **kw: Any) -> str:
    return (f"CAST(floor(CAST(EXTRACT(epoch FROM {element.later} - {element.earlier}) "
            "AS FLOAT) / CAST(60 AS NUMERIC)) AS INTEGER)")


class TicketStatus(StrEnum):
    """open → claimed → answered → closed; a cadre answering reopens (bot/staff.py)."""

    OPEN = "open"
    CLAIMED = "claimed"
    ANSWERED = "answered"
    REOPENED = "reopened"
    CLOSED = "closed"


ACTIVE_TICKET = (TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.REOPENED)  # in the queue


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Agency(Base):
    """A 军休所 (or any office serving cadres): its own staff group, duty phone and cadres.

    A deployment without agencies is one implicit agency: the settings' JUNXIU_STAFF_CHAT_ID
    and JUNXIU_DUTY_PHONE, serving every cadre whose `agency_key` is None (bot/agencies.py).
    """

    __tablename__ = "agencies"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # short id used in the CLI
    name: Mapped[str] = mapped_column(String(100), unique=True)  # as rosters write it
    # The region whose rules its cadres get unless their own record says otherwise.
    region: Mapped[str] = mapped_column(String(20))
    staff_chat: Mapped[str] = mapped_column(String(64))  # the Telegram staff group's chat id
    duty_phone: Mapped[str | None] = mapped_column(String(32))  # told in emergencies
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Agency(key={self.key!r}, region={self.region!r})"


class Cadre(Base):
    """A cadre: from the staff roster, or someone who wrote to the bot before being linked."""

    __tablename__ = "cadres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)  # matched on import
    # A second number from the roster (a landline beside the mobile): shown, never matched.
    other_phone: Mapped[str | None] = mapped_column(String(32))
    # None: the implicit single agency of the settings (bot/agencies.py).
    agency_key: Mapped[str | None] = mapped_column(ForeignKey("agencies.key"), index=True)
    region: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(8))  # 离休 | 退休
    rank: Mapped[str | None] = mapped_column(String(8))  # 师级 | 团级 | …
    birth_date: Mapped[date | None] = mapped_column(Date)
    # "month" when the roster gave only a year and month (1941.3): the day is then the 1st.
    birth_precision: Mapped[str | None] = mapped_column(String(8))
    lives_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    merits: Mapped[list[str]] = mapped_column(JSON, default=list)
    merits_text: Mapped[str | None] = mapped_column(String(200))  # as the roster wrote it
    on_roster: Mapped[bool] = mapped_column(Boolean, default=False)
    invite_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    voice_replies: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    last_contact_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    accounts: Mapped[list[Account]] = relationship(back_populates="cadre")
    # Loaded with the cadre (one LEFT JOIN, no lazy load): every escalation needs its group.
    agency: Mapped[Agency | None] = relationship(lazy="joined")

    def __repr__(self) -> str:  # no phone: reprs end up in logs
        return f"Cadre(id={self.id}, region={self.region!r}, on_roster={self.on_roster})"


class Account(Base):
    """A way to reach a cadre: a Telegram user, or the local console."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("transport", "external_id"),
                      Index("ix_accounts_cadre_id", "cadre_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    transport: Mapped[str] = mapped_column(String(16))  # telegram | console
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(100))
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    created_at: Mapped[datetime]

    cadre: Mapped[Cadre] = relationship(back_populates="accounts")

    def __repr__(self) -> str:
        return f"Account(id={self.id}, transport={self.transport!r}, cadre_id={self.cadre_id})"


class Conversation(Base):
    """Per-cadre dialogue state: survives restarts, so a half-asked question is never lost."""

    __tablename__ = "conversations"

    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), default="idle")
    memory: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # bot.dialogue.Memory
    last_answer: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Conversation(cadre_id={self.cadre_id}, state={self.state!r})"


class Message(Base):
    """Every message in and out. Inbound ones are stored before they are processed."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("transport", "update_id"),
        Index("ix_messages_cadre_at", "cadre_id", "created_at"),
        Index("ix_messages_created_at", "created_at"),
        # The reports' top intents: a period's inbound messages counted in intent order.
        Index("ix_messages_intent", "direction", "intent", "created_at", "cadre_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    transport: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[int | None] = mapped_column(BigInteger)  # dedupe of redelivered updates
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text|voice|contact|button…
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # enough to replay it
    intent: Mapped[str | None] = mapped_column(String(40))
    # inbound: how sure the understanding was, and what it weighed (intents.Understanding)
    confidence: Mapped[float | None] = mapped_column(Float)
    understanding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # outbound: "assistant", or the staff member who wrote it ("staff:<id>", "cli")
    author: Mapped[str | None] = mapped_column(String(64))
    audio_path: Mapped[str | None] = mapped_column(String(255))
    processed_at: Mapped[datetime | None]  # inbound: replies decided and queued
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Message(id={self.id}, direction={self.direction!r}, kind={self.kind!r})"


class Delivery(Base):
    """The outbox: every send to a chat, retried until Telegram accepts it."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_pending", "status", "next_attempt_at"),
                      Index("ix_deliveries_ticket", "ticket_id"),
                      Index("ix_deliveries_message", "message_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64))
    transport: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # text, buttons, keyboard, voice…
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Delivery(id={self.id}, status={self.status!r}, attempts={self.attempts})"


class Staff(Base):
    __tablename__ = "staff"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Telegram user id
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default="staff")  # staff | supervisor
    # Staff see their agency's cadres and tickets; a supervisor sees all (bot/scope.py).
    agency_key: Mapped[str | None] = mapped_column(ForeignKey("agencies.key"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # The web desk (bot/web): an argon2 hash, the lockout after failed logins, and a version
    # that a password change bumps, which ends every session signed with the old one.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return (f"Staff(user_id={self.user_id}, role={self.role!r}, "
                f"agency_key={self.agency_key!r}, active={self.active})")


class Ticket(Base):
    """An escalation to staff (DB31/T 1044 5.11.2, 7.2): recorded, answered, closed."""

    __tablename__ = "tickets"
    # The reports read a period's tickets through indexes that hold what they count, each in
    # the order it is grouped by (SQLite groups by sorting otherwise): per day by created_at,
    # per reason, and per minute of response and of resolution time (generated columns).
    __table_args__ = (Index("ix_tickets_open", "status", "priority"),
                      Index("ix_tickets_created_at", "created_at", "agency_key"),
                      Index("ix_tickets_agency", "agency_key", "status"),
                      Index("ix_tickets_staff_message", "staff_chat", "staff_message_id"),
                      Index("ix_tickets_reason", "reason", "created_at", "agency_key"),
                      Index("ix_tickets_response", "response_minutes", "created_at",
                            "agency_key"),
                      Index("ix_tickets_resolution", "resolution_minutes", "status",
                            "created_at", "agency_key"))

    id: Mapped[int] = mapped_column(primary_key=True)  # shown to staff as #N
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    # The agency whose staff handle it (the cadre's when it was opened; moves with the cadre
    # while open) and the group it was posted to: message ids are only unique per chat.
    agency_key: Mapped[str | None] = mapped_column(ForeignKey("agencies.key"))
    staff_chat: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.user_id"))
    question: Mapped[str | None] = mapped_column(Text)
    bot_answer: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    audio_path: Mapped[str | None] = mapped_column(String(255))
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_asked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    last_alert_at: Mapped[datetime | None]
    # Derived by the database from the times above, never written. Stored where the
    # migration can (PostgreSQL, which indexes no other kind); SQLite's are VIRTUAL, as ALTER
    # TABLE adds no other kind, and are stored in their indexes.
    response_minutes: Mapped[int | None] = mapped_column(
        Computed(MinutesBetween("first_response_at", "created_at"), persisted=True))
    resolution_minutes: Mapped[int | None] = mapped_column(
        Computed(MinutesBetween("closed_at", "created_at"), persisted=True))

    def __repr__(self) -> str:
        return f"Ticket(id={self.id}, reason={self.reason!r}, status={self.status!r})"


class AuditEntry(Base):
    """Every staff action, and every system action staff should be able to see."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))  # staff:<id> | system | cli
    action: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"AuditEntry(id={self.id}, actor={self.actor!r}, action={self.action!r})"


class Contact(Base):
    """A contact with a cadre, by any channel: counts for the monthly duty and the 6-month rule."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_cadre_at", "cadre_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    kind: Mapped[str] = mapped_column(String(16))  # message | checkin | call | visit
    staff_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # shanghai 5.8.4 fields
    at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Contact(id={self.id}, cadre_id={self.cadre_id}, kind={self.kind!r})"


class CheckIn(Base):
    """One check-in ping and what came of it."""

    __tablename__ = "checkins"
    # (cadre_id, id): a cadre's newest check-in by one index seek (bot/checkins.load_states).
    __table_args__ = (Index("ix_checkins_cadre_status", "cadre_id", "status"),
                      Index("ix_checkins_cadre_id", "cadre_id", "id"),
                      Index("ix_checkins_sent_at", "sent_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    kind: Mapped[str] = mapped_column(String(8))  # monthly | daily
    status: Mapped[str] = mapped_column(String(12), default="sent")
    sent_at: Mapped[datetime]
    repinged_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    alerted_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"CheckIn(id={self.id}, cadre_id={self.cadre_id}, status={self.status!r})"


class Flag(Base):
    """A one-time staff flag about a cadre (5-month warning, 6-month pension-pause review)."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("cadre_id", "kind", "since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadres.id"))
    kind: Mapped[str] = mapped_column(String(24))
    since: Mapped[datetime]  # the last contact the flag is about
    raised_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Flag(cadre_id={self.cadre_id}, kind={self.kind!r})"


class ReviewedExample(Base):
    """A message the assistant could not answer well, given its intent by a staff member on the
    desk's gaps page: training data for `junxiu train` (never a held-out example)."""

    __tablename__ = "reviewed_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), unique=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadres.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(40))
    reviewer_id: Mapped[int] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"ReviewedExample(id={self.id}, intent={self.intent!r})"
