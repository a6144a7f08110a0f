"""The import contracts in .importlinter, which `make test` checks with lint-imports, fail on a breach.

Each test copies the package, adds one import that breaks a contract and runs lint-imports on the copy.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hk_market.settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PROJECT_ROOT / ".importlinter"), "--no-cache", "--no-logo"],
        cwd=package_root, env={"PYTHONPATH": str(package_root), "PATH": ""}, capture_output=True, text=True,
    )


def test_the_project_keeps_its_import_contracts():
    result = lint_imports(PROJECT_ROOT / "include")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("module", "breach", "contract"), [
    ("calendar.py", "from hk_market import pipeline", "The library's layers import downward only BROKEN"),
    ("datasets/southbound/parse.py", "from hk_market.datasets.prices import schema",
     "No dataset folder imports another BROKEN"),
    ("datasets/prices/schema.py", "from hk_market.datasets.prices import parse",
     "Every dataset folder has the same layers"),
    ("sample/market.py", "from hk_market import universe", "No import cycles among the project's modules"),
    ("pipeline.py", "import airflow.sdk", "Only hk_market.airflow_glue imports Airflow BROKEN"),
])
def test_an_import_that_breaks_a_contract_fails_the_check(tmp_path, module, breach, contract):
    shutil.copytree(PROJECT_ROOT / "include" / "hk_market", tmp_path / "hk_market",
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "hk_market" / module
    target.write_text(f"{breach}  # the breach\n{target.read_text()}")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert contract in " ".join(result.stdout.split())
