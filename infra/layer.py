"""Build dist/layer.zip: the third-party runtime (requirements.txt) as a Lambda layer for the
template's DependenciesLayerArn parameter.

Wheels are fetched for Lambda's platform (manylinux2014 x86_64, CPython 3.11) whatever machine
builds it; the function package (infra/build.py) carries only our code, so a code change
redeploys ~70 KiB instead of ~100 MB.

    python -m infra.layer [--out dist]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Build-time tooling that chalice pulls in but the runtime never imports.
UNUSED = ("pip", "setuptools", "wheel", "inquirer", "blessed", "readchar", "editor", "runs", "xmod")


def build(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "--platform",
             "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11",
             "--only-binary=:all:", "-r", str(ROOT / "requirements.txt")],
            check=True,
        )
        for entry in target.iterdir():
            if entry.name.split("-")[0].lower() in UNUSED or entry.name == "bin":
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
        layer = out / "layer.zip"
        with zipfile.ZipFile(layer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(target.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(Path(tmp)).as_posix())
    return layer


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the dependencies layer")
    parser.add_argument("--out", default="dist")
    layer = build(Path(parser.parse_args().out))
    print(f"{layer}: {layer.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
