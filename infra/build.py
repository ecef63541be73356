"""Build the deployable package and its SAM template.

    python -m infra.build [--out dist]

writes
    dist/package.zip    app.py, chalicelib/, functions/, infra/migrations/, infra/alembic.ini
                        (+ an infra/__init__.py) - the project's code only; third-party
                        packages come from the layer named by the DependenciesLayerArn parameter
    dist/template.json  AWS SAM template: one Lambda per functions/*.py (see infra/template.py)

then e.g. `sam deploy --template-file dist/template.json --parameter-overrides ...`.

The zip is reproducible (sorted entries, fixed timestamps and modes): unchanged code gives the
same bytes, so deploying again without code changes uploads and updates nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .functions import ROOT, Function, discover
from .template import build_template

PACKAGE = "package.zip"
TEMPLATE = "template.json"
# (path in the repository, required).  Directories are taken whole, minus SKIP_PARTS.
CONTENTS = (
    ("app.py", True),
    ("chalicelib", True),
    ("functions", True),
    ("infra/__init__.py", False),
    ("infra/migrations", False),
    ("infra/alembic.ini", False),
)
SKIP_PARTS = {"__pycache__", "tests", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def package_files(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """(name in the zip, file on disk), sorted by name."""
    found: dict[str, Path] = {}
    for rel, required in CONTENTS:
        path = root / rel
        if not path.exists():
            if required:
                raise FileNotFoundError(path)
            continue
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            parts = file.relative_to(root).parts
            if SKIP_PARTS.intersection(parts) or file.suffix in SKIP_SUFFIXES:
                continue
            if any(part.startswith(".") for part in parts):
                continue
            found["/".join(parts)] = file
    return iter(sorted(found.items()))


def write_zip(target: Path, root: Path = ROOT) -> list[str]:
    entries = {name: path.read_bytes() for name, path in package_files(root)}
    # Makes `infra.migrations.runner` (functions/migrate.py) a regular package import.
    entries.setdefault("infra/__init__.py", b"")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, entries[name])
    return sorted(entries)


def _describe(fn: Function) -> str:
    if fn.is_api:
        return f"api    {len(fn.routes):3d} routes  {sorted({p for p, _ in fn.routes})}"
    triggers = ([s.expression for s in fn.schedules] + [f"sqs:{q.queue}" for q in fn.queues]
                + [f"s3:{b.bucket}/{b.prefix or ''}" for b in fn.buckets])
    return f"event  {', '.join(triggers) or 'no trigger (invoked by the pipeline)'}"


def build(out: Path, root: Path = ROOT) -> tuple[list[Function], dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    functions = discover(root)
    template = build_template(functions, code_uri=PACKAGE)
    (out / TEMPLATE).write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_zip(out / PACKAGE, root)
    return functions, template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    args = parser.parse_args(argv)
    functions, template = build(args.out)
    for fn in functions:
        print(f"  {fn.name:<16} {fn.handler:<34} {_describe(fn)}")
    package = args.out / PACKAGE
    with zipfile.ZipFile(package) as zf:
        count = len(zf.namelist())
    digest = hashlib.sha256(package.read_bytes()).hexdigest()[:16]
    print(f"{package}: {count} files, {package.stat().st_size / 1024:.0f} KiB, sha256 {digest}...")
    print(f"{args.out / TEMPLATE}: {len(template['Resources'])} resources "
          f"(SAM; {sum(fn.is_api for fn in functions)} API functions, {len(functions)} in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
