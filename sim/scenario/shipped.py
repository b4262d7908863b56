"""The scenarios and sweeps shipped with offsim, found by name from any folder.

They are package data (`sim/scenarios/`, and its subfolders such as `sweeps/`), so an installed
offsim carries them and needs no checkout: `offsim run crash-mid-batch` and
`load_scenario("crash-mid-batch")` read `sim/scenarios/crash-mid-batch.toml` wherever they run.
The rule: an argument that names an existing file is that file; otherwise one without a `.toml`
suffix is the name of a shipped file (its stem, or `folder/stem`, unique across the folders).
"""

from __future__ import annotations

import os
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios"


def shipped_files() -> list[Path]:
    """Every shipped file: the lessons first, then each subfolder's, each part by name."""
    top = sorted(SHIPPED.glob("*.toml"))
    return top + sorted(SHIPPED.glob("*/*.toml"), key=lambda p: (p.parent.name, p.name))


def shipped_name(path: Path) -> str:
    """What a user types for a shipped file: `crash-mid-batch`, `sweeps/commit-interval`."""
    relative = path.relative_to(SHIPPED).with_suffix("")
    return relative.as_posix()


def find_shipped(name: str) -> Path | None:
    """The shipped file called `name` (a stem, or folder/stem), or None."""
    direct = SHIPPED / f"{name}.toml"
    if direct.is_file():
        return direct
    matches = sorted(SHIPPED.glob(f"*/{name}.toml")) if "/" not in name else []
    return matches[0] if len(matches) == 1 else None


def locate(source: str | os.PathLike[str]) -> Path:
    """The file to read for `source`: itself when it exists or ends in `.toml`, else the shipped
    file of that name when there is one, else `source` as given (reading it then fails with a
    message naming it)."""
    path = Path(source)
    if path.exists() or path.suffix == ".toml":
        return path
    return find_shipped(os.fspath(source)) or path


def beside(folder: Path, reference: str) -> Path | str:
    """A file another file names (a sweep's base, a claim's base): a path relative to that
    file's folder, or, when there is no such file and it does not end in `.toml`, a shipped
    name."""
    path = folder / reference
    return path if path.exists() or path.suffix == ".toml" else reference


def not_found_hint(source: str | os.PathLike[str]) -> str:
    """What to say when `source` names no file: the shipped name it may have meant."""
    stem = Path(source).stem
    if find_shipped(stem) is not None:
        return f"; allowed: a path, or a shipped name such as {stem!r} (offsim scenarios)"
    return "; allowed: a path, or the name of a shipped scenario (offsim scenarios lists them)"
