"""A TOML writer for the plain data a scenario dumps to (tomllib reads TOML; nothing in the
standard library writes it). Only what scenarios hold: strings, booleans, integers, finite
floats, inline tables for nested tables, and arrays of tables at the top level."""

from typing import Any

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_value(value: Any) -> str:
    """A value as TOML writes it; error messages quote the user's values the same way."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # repr(2.0) == "2.0" and repr(1e-05) == "1e-05" are TOML floats
    if isinstance(value, str):
        # TOML forbids raw control characters other than tab, and DEL, in basic strings.
        return (
            '"'
            + "".join(
                _ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
                for c in value
            )
            + '"'
        )
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return str(value)


def toml_document(data: dict[str, Any]) -> str:
    """Top-level values first, then each table, then each array of tables, in `data`'s order."""
    head = [
        f"{key} = {toml_value(value)}"
        for key, value in data.items()
        if not isinstance(value, dict | list | tuple)
    ]
    blocks = ["\n".join(head)] if head else []
    for key, value in data.items():
        if isinstance(value, dict):
            blocks.append(_table(f"[{key}]", value))
        elif isinstance(value, list | tuple):
            blocks.extend(_table(f"[[{key}]]", item) for item in value)
    return "\n\n".join(blocks) + "\n"


def _table(header: str, table: dict[str, Any]) -> str:
    return "\n".join([header, *(f"{key} = {toml_value(value)}" for key, value in table.items())])
