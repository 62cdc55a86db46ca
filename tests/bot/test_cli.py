"""The `junxiu` command line as a package (bot/cli/): every command defined there, its names,
options and help exactly as scripts know them, and the Settings built once, in main()."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
CLI = BOT / "cli"
# `junxiu --help` and every subcommand's help at 100 columns, as the command line read before
# it moved into bot/cli/ (external checks rely on the names, options and wording).
HELP = Path(__file__).parent / "data" / "cli_help.txt"


def every_help(parser: argparse.ArgumentParser, path: list[str]) -> Iterator[str]:
    yield f"=== {' '.join(path)}\n{parser.format_help()}"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from every_help(sub, [*path, name])


def calls(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def name_of(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def test_every_command_and_option_reads_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    now = "\n".join(every_help(build_parser(), ["junxiu"]))
    assert now == HELP.read_text(encoding="utf-8")


def test_every_command_is_defined_in_the_cli_package() -> None:
    outside = [f"{path.relative_to(ROOT)}:{call.lineno}"
               for path in BOT.rglob("*.py") if CLI not in path.parents
               for call in calls(path) if name_of(call) in ("add_parser", "add_subparsers")]
    assert outside == []


def test_no_module_builds_its_own_settings() -> None:
    """From the environment, once: main() (bot/cli/__init__.py); everything else is given
    them (the web desk and the bot by the command that starts them)."""
    built = [f"{path.relative_to(ROOT)}:{call.lineno}"
             for path in BOT.rglob("*.py") if path != CLI / "__init__.py"
             for call in calls(path)
             if name_of(call) == "Settings" and not call.args and not call.keywords]
    assert built == []


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Settings]:
    monkeypatch.setenv("JUNXIU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("JUNXIU_TELEGRAM_TOKEN", raising=False)
    built: list[Settings] = []
    original = Settings.__init__

    def counted(self: Settings, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(Settings, "__init__", counted)
    return built


@pytest.mark.parametrize("argv", [["staff", "list"], ["tickets", "list"], ["agencies", "list"],
                                  ["cadres", "list"], ["checkins", "report"],
                                  ["checkins", "tick"], ["db", "upgrade"]])
def test_a_command_reads_the_settings_once(argv: list[str], constructions: list[Settings],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    assert len(constructions) == 1


def test_a_typed_question_needs_no_settings(constructions: list[Settings],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--today", "2026-11-22", "你好"]) == 0
    assert constructions == []
