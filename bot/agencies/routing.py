"""Where a cadre's matters go: the staff group, the duty phone and the default region of the
cadre's agency. Pure: `Directory.route` is a function of the agencies table and the cadre's
agency and region; `load` reads the (small) table once for a pass or an escalation.

A cadre without an agency belongs to the implicit agency of the settings
(JUNXIU_STAFF_CHAT_ID, JUNXIU_DUTY_PHONE): a single-agency set-up works without any
`junxiu agencies add`. Where that implicit group is not set, a cadre not on any agency's roster
(someone who wrote before being imported) goes to the one agency of their region, or the only
agency there is; failing both, the ticket waits in the queue, where supervisors see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from bot.storage.models import Agency, Cadre


@dataclass(frozen=True)
class Route:
    """One agency as routing sees it; `agency_key` None is the settings' implicit agency."""

    agency_key: str | None
    staff_chat: str | None
    duty_phone: str | None
    region: str | None = None  # the region whose rules its cadres get by default
    name: str | None = None


def default_route(settings: Settings) -> Route:
    chat = settings.staff_chat_id
    return Route(None, str(chat) if chat is not None else None, settings.duty_phone)


def route_of(agency: Agency) -> Route:
    return Route(agency.key, agency.staff_chat, agency.duty_phone, agency.region, agency.name)


@dataclass(frozen=True)
class Directory:
    """Every agency's route, and the implicit one of the settings."""

    default: Route
    agencies: tuple[Route, ...] = ()

    @classmethod
    def of(cls, settings: Settings, agencies: Iterable[Agency] = ()) -> Directory:
        return cls(default_route(settings), tuple(route_of(a) for a in agencies))

    def get(self, agency_key: str | None) -> Route | None:
        return next((r for r in self.agencies if r.agency_key == agency_key), None)

    def route(self, agency_key: str | None, region: str | None = None) -> Route:
        """The route for a cadre of `agency_key` (and `region`, for one without an agency)."""
        own = self.get(agency_key) if agency_key is not None else None
        if own is not None:
            return own
        if self.default.staff_chat is not None or not self.agencies:
            return self.default
        local = [r for r in self.agencies if region is not None and r.region == region]
        for candidates in (local, self.agencies):
            if len(candidates) == 1:
                return candidates[0]
        return self.default  # no group to post to: the ticket waits in the queue

    def staff_chats(self) -> frozenset[str]:
        chats = {r.staff_chat for r in (self.default, *self.agencies)}
        return frozenset(c for c in chats if c is not None)

    def is_staff_chat(self, chat_id: str) -> bool:
        return chat_id in self.staff_chats()

    def region_of(self, agency_key: str | None) -> str | None:
        """The agency's region: the default for its cadres whose record names none."""
        own = self.get(agency_key) if agency_key is not None else None
        return own.region if own is not None else None


async def load(s: AsyncSession, settings: Settings) -> Directory:
    """The directory as the database has it now (one small SELECT)."""
    rows = (await s.scalars(select(Agency).order_by(Agency.key))).all()
    return Directory.of(settings, rows)


def loaded_agency(cadre: Cadre) -> Agency | None:
    """The cadre's agency if it was loaded with the cadre (it is, from the database: the
    relationship is joined); never a lazy load, which the asyncio extension refuses."""
    if cadre.agency_key is None or "agency" in inspect(cadre).unloaded:
        return None
    return cadre.agency


def default_region(cadre: Cadre) -> str | None:
    """The region of the cadre's agency: theirs unless their own record says otherwise."""
    agency = loaded_agency(cadre)
    return agency.region if agency is not None else None


async def route_for(s: AsyncSession, settings: Settings, cadre: Cadre) -> Route:
    """Where this cadre's tickets, emergencies and alerts go. No statement for a cadre of an
    agency (loaded with them) or in a set-up with JUNXIU_STAFF_CHAT_ID; one otherwise."""
    if cadre.agency_key is not None:
        agency = loaded_agency(cadre) or await s.get(Agency, cadre.agency_key)
        if agency is not None:
            return route_of(agency)
    default = default_route(settings)
    if default.staff_chat is not None:
        return default
    return (await load(s, settings)).route(None, cadre.region)


async def staff_chat_for(s: AsyncSession, settings: Settings, cadre: Cadre) -> str | None:
    """The staff group for this cadre's matters (None: there is none; the queue has it)."""
    return (await route_for(s, settings, cadre)).staff_chat
