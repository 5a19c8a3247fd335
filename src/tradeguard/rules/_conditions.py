"""Reading one condition tree from YAML nodes, checking fields, operators and values.

Values are taken from the scalar's *source text*, not YAML's guess at a type, so ``01``
stays the entry type ``"01"`` and ``2704`` stays a port code; numbers and dates are then
parsed for the field's kind, and any mistake is reported at its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import polars as pl
import yaml

from tradeguard.rules._fields import DECLARED_FIELDS, FieldKind
from tradeguard.rules._model import (
    LEAF_OPS,
    Condition,
    Group,
    GroupOp,
    Leaf,
    LeafOp,
    Scalar,
)

Report = Callable[[yaml.Node, str], None]

OPS_BY_KIND: dict[FieldKind, frozenset[str]] = {
    "text": frozenset(
        {"eq", "ne", "in", "not_in", "prefix", "contains", "matches", "is_null", "not_null"}
    ),
    "number": frozenset(
        {"eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "between", "is_null", "not_null"}
    ),
    "bool": frozenset({"eq", "ne", "is_null", "not_null"}),
}
OPS_BY_KIND["int"] = OPS_BY_KIND["number"]
OPS_BY_KIND["date"] = OPS_BY_KIND["number"]

_SINGLE = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_NO_VALUE = frozenset({"is_null", "not_null"})
LIST_OPS = frozenset({"in", "not_in", "prefix"})
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_NULL_TAG = "tag:yaml.org,2002:null"


def line_of(node: yaml.Node) -> int:
    """1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def normalise_hts(text: str) -> str:
    """HTS numbers are compared without dots or spaces (``6109.10`` == ``610910``)."""
    return text.replace(".", "").replace(" ", "")


def parse_scalar(node: yaml.Node, kind: FieldKind, report: Report) -> Scalar | None:
    """One value of ``kind`` from a scalar node, or None after reporting what is wrong."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
        report(node, f"expected a single {kind} value")
        return None
    raw = str(node.value).strip()
    try:
        if kind == "text":
            return raw
        if kind == "number":
            return float(raw)
        if kind == "int":
            return int(raw)
        if kind == "date":
            return date.fromisoformat(raw)
    except ValueError:
        expected = "YYYY-MM-DD" if kind == "date" else f"a {kind}"
        report(node, f"bad {kind} {raw!r} (expected {expected})")
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    report(node, f"bad bool {raw!r} (expected true or false)")
    return None


def regex_problem(pattern: str) -> str | None:
    """Why the regex engine that evaluates profiles rejects ``pattern``, or None."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.ComputeError as exc:
        return str(exc).splitlines()[-1].strip()
    return None


def _mapping_items(node: yaml.MappingNode, report: Report) -> dict[str, yaml.Node]:
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = str(key.value)
        if name in out:
            report(key, f"duplicate key {name!r}")
        out[name] = value
    return out


def _values(
    node: yaml.Node, kind: FieldKind, report: Report
) -> tuple[list[Scalar], list[yaml.Node]] | None:
    nodes = list(node.value) if isinstance(node, yaml.SequenceNode) else [node]
    parsed = [parse_scalar(n, kind, report) for n in nodes]
    if any(v is None for v in parsed):
        return None
    return [v for v in parsed if v is not None], nodes


def parse_condition(
    node: yaml.Node, report: Report, list_refs: list[tuple[str, int]]
) -> Condition | None:
    """A condition tree from ``node``; a sequence means ``and``. Reports every problem found."""
    if isinstance(node, yaml.SequenceNode):
        items = [parse_condition(n, report, list_refs) for n in node.value]
        if not items:
            report(node, "empty condition list")
            return None
        if any(i is None for i in items):
            return None
        return Group("and", tuple(i for i in items if i is not None), line_of(node))
    if not isinstance(node, yaml.MappingNode):
        report(node, "a condition must be a mapping (field/op/value) or an and/or/not group")
        return None
    keys = _mapping_items(node, report)
    groups = [k for k in ("and", "or", "not") if k in keys]
    if groups:
        if len(keys) != 1:
            report(node, f"a {groups[0]!r} group must be the only key of its mapping")
            return None
        return _parse_group(groups[0], keys[groups[0]], report, list_refs)
    return _parse_leaf(node, keys, report, list_refs)


def _parse_group(
    op: str, body: yaml.Node, report: Report, list_refs: list[tuple[str, int]]
) -> Condition | None:
    if op == "not":
        inner = parse_condition(body, report, list_refs)
        return None if inner is None else Group("not", (inner,), line_of(body))
    if not isinstance(body, yaml.SequenceNode) or not body.value:
        report(body, f"{op!r} needs a non-empty list of conditions")
        return None
    items = [parse_condition(n, report, list_refs) for n in body.value]
    if any(i is None for i in items):
        return None
    group_op: GroupOp = "and" if op == "and" else "or"
    return Group(group_op, tuple(i for i in items if i is not None), line_of(body))


def _parse_leaf(
    node: yaml.MappingNode,
    keys: dict[str, yaml.Node],
    report: Report,
    list_refs: list[tuple[str, int]],
) -> Leaf | None:
    unknown = set(keys) - {"field", "op", "value", "list"}
    for name in sorted(unknown):
        report(keys[name], f"unknown condition key {name!r} (use field, op, value or list)")
    if "field" not in keys or "op" not in keys:
        report(node, "a condition needs 'field' and 'op'")
        return None
    field, op = str(keys["field"].value), str(keys["op"].value)
    spec = DECLARED_FIELDS.get(field)
    if spec is None:
        report(keys["field"], f"unknown field {field!r}")
    if op not in LEAF_OPS:
        report(keys["op"], f"unknown operator {op!r} (one of {', '.join(LEAF_OPS)})")
    if spec is None or op not in LEAF_OPS or unknown:
        return None
    if op not in OPS_BY_KIND[spec.kind]:
        report(keys["op"], f"operator {op!r} does not apply to {spec.kind} field {field!r}")
        return None
    line = line_of(node)
    leaf_op: LeafOp = op  # type: ignore[assignment]
    has_value, has_list = "value" in keys, "list" in keys
    if op in _NO_VALUE:
        if has_value or has_list:
            report(node, f"operator {op!r} takes no value")
            return None
        return Leaf(field, leaf_op, (), None, line)
    if has_list:
        if has_value or op not in LIST_OPS:
            report(keys["list"], f"a list reference works with in, not_in or prefix, not {op!r}")
            return None
        if spec.kind != "text":
            report(keys["list"], f"lists hold text; field {field!r} is {spec.kind}")
            return None
        name = str(keys["list"].value)
        list_refs.append((name, line_of(keys["list"])))
        return Leaf(field, leaf_op, (), name, line)
    if not has_value:
        report(node, f"operator {op!r} needs a 'value' (or 'list')")
        return None
    return _leaf_with_values(field, leaf_op, spec.kind, keys["value"], report, line)


def _leaf_with_values(
    field: str, op: LeafOp, kind: FieldKind, node: yaml.Node, report: Report, line: int
) -> Leaf | None:
    parsed = _values(node, kind, report)
    if parsed is None:
        return None
    values, nodes = parsed
    if op in _SINGLE and (isinstance(node, yaml.SequenceNode) or len(values) != 1):
        report(node, f"operator {op!r} takes one value")
        return None
    if not values:
        report(node, f"operator {op!r} needs at least one value")
        return None
    if op == "between":
        if len(values) != 2:
            report(node, "'between' takes a list of two values [low, high]")
            return None
        if values[0] > values[1]:  # type: ignore[operator]
            report(node, "'between' low value is above its high value")
            return None
    if field == "hts_code" and op in ("eq", "ne", "in", "not_in", "prefix"):
        values = [normalise_hts(str(v)) for v in values]  # the column is compared without dots
    if op == "prefix" and field == "hts_code":
        for v, n in zip(values, nodes, strict=True):
            if not re.fullmatch(r"\d{1,10}", str(v)):
                report(n, f"HTS prefix {v!r} must be 1 to 10 digits")
                return None
    if op == "matches":
        for v, n in zip(values, nodes, strict=True):
            problem = regex_problem(str(v))
            if problem:
                report(n, f"bad regular expression {v!r}: {problem}")
                return None
    return Leaf(field, op, tuple(values), None, line)
