"""What staff read: the import report, `cadres list` lines and `cadres show`. Every phone is
masked by the one rule (bot.logs.mask_phone), whatever its kind; an ID number is never kept.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import knowledge
from bot.agencies import default_region, loaded_agency
from bot.logs import mask, mask_phone
from bot.roster.cells import MONTH, age_on
from bot.roster.model import ImportReport, msg
from bot.storage.models import Cadre

CHINA = ZoneInfo("Asia/Shanghai")
TELEGRAM = "telegram"


def _list(items: list[str]) -> str:
    return "、".join(items)


def report_text(report: ImportReport) -> str:
    """The CLI summary: counts, then what was skipped, not read, noted and rejected (and in a
    dry run, what would change). Phones and ID numbers masked."""
    head = "dry_summary" if report.dry_run else "summary"
    lines = [msg(head, imported=report.imported, updated=report.updated,
                 rejected=len(report.rejected))]
    if report.skipped:
        lines.append(msg("skipped_head", rows=_list(
            [msg("skipped_row", line=r.line, label=r.label) for r in report.skipped])))
    if report.unknown_columns:
        lines.append(msg("unknown_columns", columns=_list(report.unknown_columns)))
    lines += report.notes
    if report.rejected:
        lines.append(msg("rejected_head"))
        lines.extend(f"  {r.reason}" for r in report.rejected)
    if report.dry_run and report.changes:
        lines.append(msg("changes_head"))
        for change in report.changes:
            if change.new:
                lines.append("  " + msg("change_new", line=change.line, name=change.name))
            else:
                fields = _list([msg(f"field.{f}") for f in change.fields])
                lines.append("  " + msg("change_updated", line=change.line, name=change.name,
                                        fields=fields))
    return mask("\n".join(lines))


def region_text(cadre: Cadre) -> str:
    """The cadre's region in words; the agency's when their record names none."""
    kb = knowledge.load()
    if cadre.region:
        return kb.string(f"staff.roster.region.{cadre.region}")
    inherited = default_region(cadre)
    if inherited:
        return msg("region_from_agency", region=kb.string(f"staff.roster.region.{inherited}"))
    return "-"


def birth_text(cadre: Cadre, today: date) -> str:
    if cadre.birth_date is None:
        return "-"
    born = cadre.birth_date
    shown = (msg("year_month", year=born.year, month=born.month)
             if cadre.birth_precision == MONTH else born.isoformat())
    return msg("born", date=shown, age=age_on(born, today))


def phones_text(cadre: Cadre) -> str:
    numbers = [mask_phone(n) for n in (cadre.phone, cadre.other_phone) if n]
    return " / ".join(numbers) or "-"


def agency_text(cadre: Cadre) -> str:
    agency = loaded_agency(cadre)
    if agency is not None:
        return agency.name
    return cadre.agency_key or msg("no_agency")


def _on_telegram(cadre: Cadre) -> bool:
    return any(a.transport == TELEGRAM for a in cadre.accounts)


def cadre_line(cadre: Cadre, today: date) -> str:
    """One line of `junxiu cadres list`; phones masked (lists get pasted around)."""
    age = msg("age", age=age_on(cadre.birth_date, today)) if cadre.birth_date else "-"
    roster = (cadre.invite_code or "-") if cadre.on_roster else msg("not_on_roster")
    return "\t".join([
        f"#{cadre.id}", cadre.name or "-", agency_text(cadre), region_text(cadre),
        cadre.status or "-", cadre.rank or "-", age,
        msg("alone") if cadre.lives_alone else "", phones_text(cadre),
        msg("telegram_linked") if _on_telegram(cadre) else msg("telegram_unlinked"), roster])


def cadre_detail(cadre: Cadre, today: date) -> str:
    """`junxiu cadres show`: every field kept about one cadre, phones masked."""
    def when(value: datetime | None) -> str:
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else \
            msg("never_contacted")

    yes, no = msg("yes"), msg("no")
    accounts = ", ".join(f"{a.transport}:{a.external_id}" for a in cadre.accounts) or "-"
    rows = [
        ("id", f"#{cadre.id}"), ("name", cadre.name or "-"), ("phones", phones_text(cadre)),
        ("agency", agency_text(cadre)), ("region", region_text(cadre)),
        ("status", cadre.status or "-"), ("rank", cadre.rank or "-"),
        ("birth_date", birth_text(cadre, today)),
        ("lives_alone", yes if cadre.lives_alone else no),
        ("merits", cadre.merits_text or "-"),
        ("on_roster", yes if cadre.on_roster else no), ("invite", cadre.invite_code or "-"),
        ("accounts", accounts), ("last_contact", when(cadre.last_contact_at)),
        ("unreachable", yes if cadre.unreachable else no),
    ]
    return "\n".join(f"{msg(f'show.{label}')}：{value}" for label, value in rows)
