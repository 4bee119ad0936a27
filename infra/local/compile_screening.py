"""Compile the hot screening modules (token similarity and name alignment) with mypyc, in place.

Usage: ``.venv/bin/python infra/local/compile_screening.py [--force] [--clean]`` (run by install.sh).

The extension modules land beside their sources in ``enrichment/screening/`` (git-ignored), with a
stamp holding the digest of the sources they were built from; nothing is rebuilt while the stamp
matches. The package imports the sources instead whenever the stamp is stale, so an edited module
never runs from an old build. Exits 0 with a warning when compilation fails: everything works
from the sources, only slower.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCREENING = ROOT / "enrichment" / "screening"


def _native() -> Any:
    """``enrichment/screening/native.py`` on its own: importing the package would load the modules rebuilt here."""
    spec = importlib.util.spec_from_file_location("_sekisho_screening_native", SCREENING / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean(native: Any) -> None:
    for path in native._compiled_paths(SCREENING):
        path.unlink()
    (SCREENING / native.STAMP_NAME).unlink(missing_ok=True)


def build(native: Any) -> None:
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    sources = [str(Path("enrichment") / "screening" / f"{name}.py") for name in native.COMPILED_MODULES]
    with tempfile.TemporaryDirectory(prefix="sekisho-mypyc-") as work:
        group = f"{native.PACKAGE}.{native.SHARED_LIBRARY}"  # the shared library lives in the package too
        extensions = mypycify(sources, opt_level="3", target_dir=os.path.join(work, "c"), group_name=group)
        os.chdir(work)  # out of the project: setuptools would read its pyproject.toml
        try:
            setup(
                name="sekisho-screening-native",
                ext_modules=extensions,
                script_args=["-q", "build_ext", "--build-temp", "temp", "--build-lib", "lib"],
            )
        finally:
            os.chdir(ROOT)
        built = Path(work, "lib", *native.PACKAGE.split("."))
        for library in sorted(built.iterdir()):
            # A new file, never written over: a process may have the old one mapped.
            partial = SCREENING / f".{library.name}.tmp"
            shutil.copyfile(library, partial)
            partial.replace(SCREENING / library.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp matches")
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules and stop")
    args = parser.parse_args()
    os.chdir(ROOT)  # mypy reads its settings (strict, plugins) from pyproject.toml here
    native = _native()
    if args.clean:
        clean(native)
        print("compile_screening: compiled modules removed; screening runs from the sources")
        return 0
    want = native.sources_digest(SCREENING)
    stamp = SCREENING / native.STAMP_NAME
    if not args.force and native._compiled_paths(SCREENING) and stamp.exists() and stamp.read_text().strip() == want:
        print("compile_screening: compiled screening modules are current")
        return 0
    start = time.monotonic()
    clean(native)
    try:
        build(native)
    except (Exception, SystemExit) as error:  # a compiler missing, a mypyc error: keep the sources
        clean(native)
        print(
            f"compile_screening: WARNING: compiling the screening modules failed ({type(error).__name__}: {error}); "
            "screening runs from the pure-Python sources (slower)",
            file=sys.stderr,
        )
        return 0
    stamp.write_text(want + "\n")
    print(f"compile_screening: compiled {', '.join(native.COMPILED_MODULES)} in {time.monotonic() - start:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
