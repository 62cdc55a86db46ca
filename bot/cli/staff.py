"""`junxiu staff add|remove|list|password`: the staff roster (who may use staff commands)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import run_in_transaction, staff_text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    staff_parser = sub.add_parser("staff", help="the staff roster (who may use staff commands)")
    staff_sub = staff_parser.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add or re-activate a staff member")
    add.add_argument("user_id", type=int, help="Telegram user id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["staff", "supervisor"], default="staff")
    add.add_argument("--agency", metavar="KEY",
                     help="the agency whose cadres and tickets they see (a supervisor sees all)")
    remove = staff_sub.add_parser("remove", help="take a staff member off the roster")
    remove.add_argument("user_id", type=int)
    staff_sub.add_parser("list", help="list active staff")
    password = staff_sub.add_parser("password", help="set a staff member's web desk password "
                                                     "(read from stdin when not a terminal)")
    password.add_argument("user_id", type=int)
    staff_parser.set_defaults(func=cmd_staff)


def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from bot import staff
    from bot.agencies import store as agency_store
    from bot.storage import repo
    from bot.storage.models import Agency, Staff

    async def add(s: AsyncSession, now: datetime) -> str:
        agency_key = getattr(args, "agency", None)
        agency = await agency_store.agency_or_fail(s, agency_key) if agency_key else None
        member = await s.get(Staff, args.user_id)
        if member is None:
            member = Staff(user_id=args.user_id, name=args.name, role=args.role, created_at=now)
            s.add(member)
        member.name, member.role, member.active = args.name, args.role, True
        member.agency_key = agency.key if agency is not None else None
        await repo.audit(s, "cli", "staff.add", now,
                         detail=f"{args.user_id} {args.role} {member.agency_key or '-'}")
        return staff_text("added", id=args.user_id, name=args.name,
                          role=staff_text(f"role.{args.role}"),
                          agency=agency.name if agency is not None
                          else staff_text("no_agency"))

    async def remove(s: AsyncSession, now: datetime) -> str:
        member = await s.get(Staff, args.user_id)
        if member is None:
            raise staff.DeskError(staff_text("unknown", id=args.user_id))
        member.active = False  # kept for the audit trail, no longer allowed in
        await repo.audit(s, "cli", "staff.remove", now, detail=str(args.user_id))
        return staff_text("removed", id=args.user_id)

    async def listing(s: AsyncSession, now: datetime) -> str:
        rows = (await s.scalars(select(Staff).where(Staff.active).order_by(Staff.user_id))).all()
        names = {a.key: a.name for a in (await s.scalars(select(Agency))).all()}
        if not rows:
            return staff_text("none")
        return "\n".join(staff_text("line", id=m.user_id, name=m.name,
                                    role=staff_text(f"role.{m.role}"),
                                    agency=names.get(m.agency_key or "",
                                                     staff_text("no_agency")))
                         for m in rows)

    async def password(s: AsyncSession, now: datetime) -> str:
        from bot.web import auth

        member = await s.get(Staff, args.user_id)
        if member is None or not member.active:
            raise staff.DeskError(f"no staff member {args.user_id}")
        problem = auth.check_new(args.secret)
        if problem:
            raise staff.DeskError(f"the password needs at least {auth.MIN_LENGTH} characters")
        await auth.set_password(s, member, args.secret, "cli", now)
        return f"desk password set for staff {args.user_id} ({member.name})"

    if args.staff_command == "password":
        args.secret = read_password()
        if args.secret is None:
            print("the two passwords differ")
            return 1
    return run_in_transaction(settings, {"add": add, "remove": remove, "list": listing,
                                         "password": password}[args.staff_command])


def read_password() -> str | None:
    """From stdin when it is not a terminal (one line), else asked twice without echo."""
    import getpass
    import sys

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("desk password: ")
    return first if getpass.getpass("again: ") == first else None
