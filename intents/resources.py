"""Reading the package's data files (examples, dictionaries, gazetteer) once."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

try:  # the C loader is several times faster; start-up time matters for `junxiu ask`
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def data_path(name: str) -> resources.abc.Traversable:
    return resources.files("intents") / "data" / name


def read_text(name: str) -> str:
    return data_path(name).read_text(encoding="utf-8")


def read_yaml(name: str) -> Any:
    path = data_path(name)
    if not path.is_file():
        return None
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
