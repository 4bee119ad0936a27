"""Which screening modules run compiled, and whether their compiled copies are current.

``infra/local/compile_screening.py`` (run by ``infra/local/install.sh``) compiles the modules in
:data:`COMPILED_MODULES` with mypyc into extension modules beside their sources, which Python then
imports in place of the ``.py`` files. Scores are the same either way; the compiled modules screen
about 1.4x as many names a second (BENCHMARKS.md).

Importing this module (the package does it first) decides which copy is used:

* no compiled copy: the sources (``status()`` says why; ``sekisho screen``, the screening benchmark
  and :func:`load_index` show it as a warning);
* ``SEKISHO_SCREENING_PURE=1``: the sources, even when compiled copies exist (to compare both);
* compiled copies whose digest stamp does not match the sources (a source edited after the build,
  another Python or mypy): the sources, with a warning, never code that is out of date.

Kept free of imports from the rest of the package: the build script loads it on its own.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "enrichment.screening"
# Leaves first: each compiled module imports the ones before it.
COMPILED_MODULES = ("rarity", "names", "name_patterns", "similarity", "matcher", "index")
# Compiled code trusts the types of what it imports: these sources count in the digest as well.
IMPORTED_MODULES = ("entries", "loaders", "legal_forms", "numbers", "scripts")
SHARED_LIBRARY = "_native"  # the group library mypyc builds beside them (``_native__mypyc``)
STAMP_NAME = "_native.stamp"
PURE_ENV = "SEKISHO_SCREENING_PURE"
HERE = Path(__file__).resolve().parent


def sources_digest(directory: Path = HERE) -> str:
    """Digest of what the compiled modules are built from: their sources and those they import from
    the package, Python and mypyc."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    try:
        from importlib.metadata import version

        digest.update(version("mypy").encode())
    except Exception:  # mypy absent: the digest still changes with the sources
        digest.update(b"no mypy")
    for module in (*COMPILED_MODULES, *IMPORTED_MODULES):
        digest.update(module.encode())
        digest.update((directory / f"{module}.py").read_bytes())
    return digest.hexdigest()


def _compiled_paths(directory: Path = HERE) -> list[Path]:
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    names = [*COMPILED_MODULES, f"{SHARED_LIBRARY}__mypyc"]
    paths = [directory / f"{name}{suffix}" for name in names for suffix in suffixes]
    return [path for path in paths if path.exists()]


class _SourceFinder:
    """Imports the compiled modules from their ``.py`` files even where an extension module exists."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE or name not in COMPILED_MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, HERE / f"{name}.py")


def _decide() -> tuple[bool, str]:
    compiled = _compiled_paths()
    if not compiled:
        return False, "pure Python (compiled screening modules not built: run infra/local/install.sh)"
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return False, f"pure Python ({PURE_ENV} is set)"
    try:
        stamp = (HERE / STAMP_NAME).read_text().strip()
    except OSError:
        stamp = ""
    if stamp != sources_digest():
        return False, "pure Python (compiled screening modules are out of date: run infra/local/install.sh)"
    return True, "compiled (mypyc)"


def _install() -> tuple[bool, str]:
    if any(f"{PACKAGE}.{name}" in sys.modules for name in COMPILED_MODULES):
        module = sys.modules.get(f"{PACKAGE}.matcher")
        compiled = module is not None and not str(getattr(module, "__file__", "")).endswith(".py")
        return compiled, "compiled (mypyc)" if compiled else "pure Python"
    compiled, why = _decide()
    if not compiled and _compiled_paths():
        sys.meta_path.insert(0, _SourceFinder())
    return compiled, why


COMPILED, STATUS = _install()


def status() -> str:
    """How the screening matcher runs: ``compiled (mypyc)`` or ``pure Python (why)``."""
    return STATUS
