"""The one way a name or a string goes into SQL text, where a statement takes no bound parameters."""


def quote_identifier(*parts: str) -> str:
    """A (dotted) SQL identifier from names, each double-quoted with its own quotes doubled (DuckDB's standard
    quoting)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def literal(text: str) -> str:
    """A SQL string literal, for the statements (ATTACH, LOAD) that take no parameters."""
    return "'" + str(text).replace("'", "''") + "'"
