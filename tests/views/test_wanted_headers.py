"""The beacon decodes only the headers its rules read (beacon.WANTED_HEADERS); every header
a rule reads must be among them, or that rule would always see it absent."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

from services.views import beacon, bots, sources

RULE_MODULES = (beacon, sources, bots)


def headers_read(module: ModuleType) -> set[str]:
    """Every header name the module reads from a ``headers`` mapping (``headers.get(NAME)``,
    ``headers[NAME]``), resolved through the module's constants. A loop variable over a
    table of (name, value) pairs is resolved to that table's names."""
    tree = ast.parse(inspect.getsource(module))
    loops: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Tuple)
            and isinstance(node.target.elts[0], ast.Name)
            and isinstance(node.iter, ast.Name)
        ):
            table = getattr(module, node.iter.id, None)
            if isinstance(table, tuple):  # a module's table, not a local iterable
                loops[node.target.elts[0].id] = [name for name, *_ in table]
    names: set[str] = set()
    for node in ast.walk(tree):
        arg: ast.expr | None = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "headers"
        ):
            arg = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "headers"
        ):
            arg = node.slice
        if arg is None:
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            names.add(arg.value)
        elif isinstance(arg, ast.Name) and arg.id in loops:
            names.update(loops[arg.id])
        elif isinstance(arg, ast.Name) and isinstance(getattr(module, arg.id, None), str):
            names.add(getattr(module, arg.id))
        else:
            raise AssertionError(f"{module.__name__}: a header read this test cannot resolve")
    return names


def test_the_rules_read_headers_and_this_test_finds_them() -> None:
    assert {"user-agent", "x-forwarded-for"} <= headers_read(beacon)
    assert {"sec-fetch-site", "origin", "referer"} <= headers_read(sources)
    assert {"sec-purpose", "purpose", "x-moz", "x-purpose"} <= headers_read(bots)


@pytest.mark.parametrize("module", RULE_MODULES, ids=lambda m: m.__name__)
def test_every_header_a_rule_reads_is_wanted(module: ModuleType) -> None:
    wanted = {name.decode() for name in beacon.WANTED_HEADERS}
    assert headers_read(module) <= wanted


def test_header_map_keeps_exactly_the_wanted_headers() -> None:
    wanted = sorted(beacon.WANTED_HEADERS)
    raw = [(name, b"v") for name in wanted] + [(b"accept", b"*/*"), (b"sec-ch-ua", b"x")]
    assert beacon.header_map(raw) == {name.decode(): "v" for name in wanted}
    # A repeated header is joined, as HTTP defines (every X-Forwarded-For hop is kept).
    twice = [(b"x-forwarded-for", b"198.51.100.7"), (b"x-forwarded-for", b"203.0.113.9")]
    assert beacon.header_map(twice) == {"x-forwarded-for": "198.51.100.7, 203.0.113.9"}
