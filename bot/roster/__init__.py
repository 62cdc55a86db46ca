"""The cadre roster: `junxiu cadres import FILE` (.csv/.xlsx, the 花名册 as agencies keep it),
`cadres list`, `cadres show`, `cadres move`.

    read   file → rows of cells (encodings, merged cells, number formats)
    table  rows → header, cadre rows, rejections, skipped footers, unknown columns (pure)
    cells  one cell → one value or a reason (pure)
    store  one transaction: upsert, dry run, look-ups
    views  what staff read (phones masked by the one rule)
    importing  a file read, checked and imported (the commands are in bot/cli/cadres.py)
"""

from bot.roster.importing import load_agencies, parse_roster, run_import
from bot.roster.model import (
    Change,
    ImportReport,
    ParsedRoster,
    Rejected,
    RosterError,
    RosterRow,
    Skipped,
)
from bot.roster.store import (
    INVITE_ALPHABET,
    find_cadres,
    import_roster,
    list_cadres,
    show_cadre,
)
from bot.roster.table import parse_table
from bot.roster.views import cadre_detail, cadre_line, report_text

__all__ = ["INVITE_ALPHABET", "Change", "ImportReport", "ParsedRoster", "Rejected",
           "RosterError", "RosterRow", "Skipped", "cadre_detail", "cadre_line", "find_cadres",
           "import_roster", "list_cadres", "load_agencies", "parse_roster", "parse_table",
           "report_text", "run_import", "show_cadre"]
