"""An analyst's DuckDB session in a process of its own, holding a file open read-only while tests go on."""

import subprocess
import sys
from pathlib import Path

READER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
for sql in sys.stdin:
    print(con.execute(sql).fetchone()[0], flush=True)
"""


class AnalystSession:
    """`with AnalystSession(path) as session: session.one("select ...")` keeps `path` open until the block ends."""

    def __init__(self, path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready", f"the analyst could not open {path}"

    def one(self, sql: str) -> str:
        """The first value of the query's first row, as text."""
        self.process.stdin.write(" ".join(sql.split()) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def __enter__(self) -> "AnalystSession":
        return self

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
