"""Write chalicelib/system/openapi.json from the full app (`make openapi`).

The system Lambda serves this file, so it does not have to import every area to describe
them; tests/e2e/test_health_openapi.py fails when the file is stale.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "chalicelib" / "system" / "openapi.json"


def render() -> str:
    import app  # noqa: F401 - registers every area's routes
    from chalicelib.platform.openapi import build_document

    return json.dumps(build_document(), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(Path.cwd()) if TARGET.is_relative_to(Path.cwd()) else TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
