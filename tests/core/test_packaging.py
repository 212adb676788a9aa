"""Packaging: the wheel holds every module, and ``import autolog`` stays light."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "torch", "transformers", "mlflow", "wandb", "tensorboard", "numpy", "pandas", "datasets")


def _source_modules() -> set[str]:
    mapping = {"autolog": "autolog", "integrations": "autolog/integrations", "backends": "autolog/backends"}
    found = set()
    for folder, prefix in mapping.items():
        for path in (ROOT / folder).rglob("*.py"):
            found.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    return found


def test_wheel_contains_every_module_of_the_three_folders(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("autolog_suite-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = _source_modules() - names
    assert not missing, f"modules missing from the wheel: {sorted(missing)}"
    assert "autolog/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "autolog = autolog.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_import_autolog_imports_no_framework_or_sdk():
    code = (
        "import sys, autolog, autolog.integrations, autolog.backends;"
        "import autolog.integrations.sklearn, autolog.integrations.transformers;"
        "import autolog.backends.local, autolog.backends.mlflow, autolog.backends.wandb, autolog.backends.tensorboard;"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_autolog_call_without_frameworks_imported_imports_none():
    code = (
        "import sys, autolog; autolog.autolog(backends=['local']);"
        "r = autolog.run(); r.log_metric('m', 1.0); r.end(); autolog.flush(10);"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/tmp")
    assert out.stdout.strip() == "[]"


def test_generic_top_level_names_are_never_imported():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if any(part.startswith(".") for part in path.parts):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import integrations", "import backends", "from integrations", "from backends")):
                offenders.append(f"{path}: {stripped}")
    assert not offenders
