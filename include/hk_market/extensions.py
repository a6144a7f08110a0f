"""DuckDB extensions from their PyPI wheels, never downloaded.

Each wheel (`duckdb-extension-<name>`, pinned in requirements.txt to the duckdb version) holds
`duckdb_extension_<name>/extensions/v<duckdb version>/<name>.duckdb_extension`. It is loaded by path
(`LOAD '<file>'`): by name DuckDB would look in its extension directory and try to download it. Connections
that load them are opened with NO_DOWNLOAD, so nothing else is fetched or loaded behind our back either.
"""

import importlib.resources
from pathlib import Path

import duckdb

from hk_market.sql_text import literal

# autoinstall would download an extension a statement needs; autoload would load one from ~/.duckdb
# (perhaps of another build). With both off, a statement needing an extension we did not load fails.
NO_DOWNLOAD = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
PACKAGES = {  # extension name -> the PyPI package whose wheel holds it
    "ducklake": "duckdb-extension-ducklake",
    "postgres_scanner": "duckdb-extension-postgres-scanner",
    "motherduck": "duckdb-extension-motherduck",
}


class ExtensionMissing(RuntimeError):
    """An extension's wheel is not installed (or is for another duckdb version)."""


def path(name: str) -> Path:
    """The extension's file in its installed wheel; fails naming the package to install."""
    if name not in PACKAGES:
        raise ValueError(f"unknown extension {name!r}: expected one of {', '.join(PACKAGES)}")
    package, version = PACKAGES[name], duckdb.__version__
    hint = f"install {package}=={version} (pip install -r requirements.txt -c constraints.txt)"
    try:
        root = importlib.resources.files(package.replace("-", "_"))
    except ModuleNotFoundError:
        raise ExtensionMissing(f"DuckDB extension {name} is not installed: {hint}") from None
    found = Path(str(root / "extensions" / f"v{version}" / f"{name}.duckdb_extension"))
    if not found.is_file():
        raise ExtensionMissing(f"DuckDB extension {name} for duckdb {version} is not in {package}: {hint}")
    return found


def load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Load the extensions into the connection from their wheels."""
    for name in names:
        file = str(path(name))
        con.execute(f"load {literal(file)}")  # LOAD takes no parameters
