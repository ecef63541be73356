"""A migration module loaded from its file, for tests that check its constants or run its SQL
(a trigger list, a REBUILD fill, frozen bounds): migrations are not a package to import."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

VERSIONS = Path(__file__).resolve().parents[1] / "infra/migrations/versions"


def load(filename: str) -> ModuleType:
    """e.g. load("0024_search_words.py")."""
    spec = importlib.util.spec_from_file_location(f"migration_{filename.split('_', 1)[0]}", VERSIONS / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
