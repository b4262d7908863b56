"""What every scenario table shares: a strict, immutable base model, and validation errors
reworded for the person who wrote the file.

One line per problem, "<field.path>: <problem>; allowed: <...>" (the caller puts the file name in
front). The allowed text is read from the models themselves (Literal values, numeric bounds, field
names), so it cannot drift from what validation accepts. Validators that know better raise
`problem(...)` (a PydanticCustomError of type "scenario") with their own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MinLen
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from sim.scenario.toml_writer import toml_value


class Table(BaseModel):
    """A TOML table: immutable, no unknown keys, strict types (6.0 is not 6, "6" is not 6)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def problem(message: str, allowed: str, field: str = "") -> PydanticCustomError:
    """A failure already worded for the user; `field` is a path relative to the failing model."""
    return PydanticCustomError(
        "scenario",
        "{problem}; allowed: {allowed}",
        {"problem": message, "allowed": allowed, "field": field},
    )


class Problems:
    """The problems one validator finds, raised together so that the user sees every one.

    A validator adds each problem it meets and calls `raise_any()` at its end: pydantic keeps one
    error per validator, so the first problem travels as that error and the others ride in its
    context (`explain` spells each out on its own line)."""

    def __init__(self) -> None:
        self._found: list[dict[str, str]] = []

    def add(self, message: str, allowed: str, field: str = "") -> None:
        self._found.append({"problem": message, "allowed": allowed, "field": field})

    def raise_any(self) -> None:
        if self._found:
            first, *more = self._found
            raise PydanticCustomError(
                "scenario", "{problem}; allowed: {allowed}", {**first, "more": tuple(more)}
            )


# A TOML array arrives as a list; a table keeps it as a tuple (immutable, and strict mode takes
# no list for a tuple).
as_tuple = BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v)


def only(*values: Any) -> BeforeValidator:
    """Accept exactly these values, type included (Literal[False] would take 0, Literal[1] true)."""

    def check(value: Any) -> Any:
        if not any(type(value) is type(v) and value == v for v in values):
            allowed = ", ".join(map(toml_value, values))
            raise problem(f"{toml_value(value)} is not supported", allowed)
        return value

    return BeforeValidator(check)


def explain(error: ValidationError, root: type[BaseModel]) -> list[str]:
    """Each problem of `error` as one line, paths relative to the `root` model."""
    return [line for e in error.errors(include_url=False) for line in _lines(e, root)]


@dataclass(frozen=True)
class _Tagged:
    """A tagged union: the tag field's name and the model for each tag value."""

    tag: str
    models: dict[Any, type[BaseModel]]


@dataclass(frozen=True)
class _Array:
    item: Any


_WHAT_IT_IS_NOT = {
    "int_type": "is not an integer",
    "float_type": "is not a number",
    "bool_type": "is not true or false",
    "string_type": "is not a string",
    "literal_error": "is not allowed",
    "string_too_short": "is empty",
    "finite_number": "is not a finite number",
    "tuple_type": "is not an array of tables",
    "model_type": "is not a table",
    "model_attributes_type": "is not a table",
    "greater_than": "is out of range",
    "greater_than_equal": "is out of range",
    "less_than": "is out of range",
    "less_than_equal": "is out of range",
}


def _lines(error: dict[str, Any], root: type[BaseModel]) -> list[str]:
    """One error's lines: one, or one per problem a validator gathered (`Problems`)."""
    if error["type"] != "scenario":
        return [_line(error, root)]
    path = _locate(error["loc"], root)[0]
    ctx = error["ctx"]
    return [
        f"{_join(path, p['field'])}: {p['problem']}; allowed: {p['allowed']}"
        for p in (ctx, *ctx.get("more", ()))
    ]


def _line(error: dict[str, Any], root: type[BaseModel]) -> str:
    path, owner, name, node = _locate(error["loc"], root)
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return f"{path}: unknown field; allowed: {', '.join(owner.model_fields)}"
    if kind in ("union_tag_invalid", "union_tag_not_found") and isinstance(node, _Tagged):
        tags = ", ".join(map(toml_value, node.models))
        what = "missing" if kind == "union_tag_not_found" else f"{_show(ctx['tag'])} is unknown"
        return f"{_join(path, node.tag)}: {what}; allowed: {tags}"
    field = owner.model_fields.get(name) if owner is not None else None
    allowed = _allowed(field) if field is not None else _describe_node(node)
    if kind == "missing":
        return f"{path}: missing; allowed: {allowed}"
    what = _WHAT_IT_IS_NOT.get(kind, "is not valid (" + error["msg"].lower() + ")")
    return f"{path}: {_show(error['input'])} {what}; allowed: {allowed}"


def _locate(loc: tuple, root: type[BaseModel]) -> tuple[str, Any, Any, Any]:
    """Pydantic's loc -> (dotted path as the user writes it, the model owning the last field,
    that field's name, the schema node at the end). Pydantic puts a tagged union's tag in the
    loc (faults.0.crash.at); the user never wrote it, so it is dropped (faults[0].at)."""
    path, owner, name, node = "", None, None, root
    for item in loc:
        if isinstance(node, _Tagged):
            owner, node = None, node.models.get(item)
        elif isinstance(item, int):
            path += f"[{item}]"
            owner, node = None, node.item if isinstance(node, _Array) else None
        else:
            path = _join(path, item)
            owner = node if _is_model(node) else None
            name = item
            field = owner.model_fields.get(item) if owner is not None else None
            node = _node(field.annotation, field.discriminator) if field is not None else None
    return path, owner, name, node


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path and field else path or field


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _node(annotation: Any, discriminator: Any = None) -> Any:
    """The schema node an annotation stands for: a model, a tagged union, an array, or a leaf."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        for info in metadata:
            if isinstance(info, FieldInfo) and info.discriminator:
                discriminator = info.discriminator
        return _node(base, discriminator)
    if discriminator:
        models = get_args(annotation)
        return _Tagged(discriminator, {m.model_fields[discriminator].default: m for m in models})
    if get_origin(annotation) in (list, tuple):
        return _Array(_node(get_args(annotation)[0]))
    tables = [t for t in _members(annotation) if t is not NoneType]
    if len(tables) == 1 and _is_model(tables[0]):  # an optional table ([transactions])
        return tables[0]
    return annotation


def _allowed(field: FieldInfo) -> str:
    node = _node(field.annotation, field.discriminator)
    if node is not field.annotation:
        return _describe_node(node)
    literals = _literals(field.annotation)
    if literals:
        return ", ".join(map(toml_value, literals))
    types = [t for t in _members(field.annotation) if t is not NoneType]
    if types == [bool]:
        return "true, false"
    if types in ([int], [float]):
        return ("an integer" if types == [int] else "a number") + _bounds(field.metadata)
    if types == [str]:
        return (
            "a non-empty string"
            if any(isinstance(m, MinLen) for m in field.metadata)
            else "a string"
        )
    return _describe_node(node)


def _describe_node(node: Any) -> str:
    if isinstance(node, _Tagged):
        return f"a table with {node.tag} = " + " | ".join(map(toml_value, node.models))
    if isinstance(node, _Array):
        return "an array of tables"
    if _is_model(node):
        return "a table with fields " + ", ".join(node.model_fields)
    if _literals(node):
        return ", ".join(map(toml_value, _literals(node)))
    return "see the scenario file reference (docs/scenarios.md)"


def _members(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, UnionType):
        return get_args(annotation)
    return (annotation,)


def _literals(annotation: Any) -> list[Any]:
    return [v for t in _members(annotation) if get_origin(t) is Literal for v in get_args(t)]


def _bounds(metadata: list[Any]) -> str:
    """Numeric constraints as a range: " in [1, 10000]", " in (0, 1]", " >= 0", " > 0"."""
    low = high = None
    for m in metadata:
        if isinstance(m, Ge | Gt):
            low = ("[", ">=", m.ge) if isinstance(m, Ge) else ("(", ">", m.gt)
        if isinstance(m, Le | Lt):
            high = ("]", "<=", m.le) if isinstance(m, Le) else (")", "<", m.lt)
    if low and high:
        return f" in {low[0]}{low[2]}, {high[2]}{high[0]}"
    if low or high:
        _, op, bound = low or high
        return f" {op} {bound}"
    return ""


def _show(value: Any) -> str:
    """The user's value, short: tables and arrays by kind, long text cut."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    text = toml_value(value)
    return text if len(text) <= 60 else text[:57] + "..."
