"""Reading the OpenAPI document for probes: its operations with their declared roles, and a
minimal valid request for any of them (so a probe reaches the view's own checks, not a 422)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import find
from hypothesis import strategies as st

METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = "public"


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    path: str  # the OpenAPI template, /api/orders/{order_id}
    doc: dict[str, Any]
    path_params: tuple[str, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.doc.get("x-roles", ()))

    @property
    def shared_params(self) -> tuple[str, ...]:
        return tuple(self.doc.get("x-shared-path-params", ()))

    def admits(self, role: str | None) -> bool:
        return PUBLIC in self.roles or (role is not None and role in self.roles)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in spec["paths"].items():
        shared = [p for p in item.get("parameters", []) if p["in"] == "path"]
        for method, doc in item.items():
            if method not in METHODS:
                continue
            params = shared + [p for p in doc.get("parameters", []) if p["in"] == "path"]
            found.append(Operation(method.upper(), path, doc, tuple(p["name"] for p in params)))
    return found


def openapi_path(rule: str) -> str:
    """/api/orders/<int:order_id> as the OpenAPI document writes it: /api/orders/{order_id}."""
    return re.sub(r"<(?:[a-z]+:)?([^>]+)>", r"{\1}", rule)


def url(op: Operation, values: dict[str, Any]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(values[m.group(1)]), op.path)


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_schema(spec: dict[str, Any], op: Operation) -> dict[str, Any] | None:
    content = op.doc.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(spec, content["application/json"]["schema"])


def required_query(op: Operation) -> dict[str, dict[str, Any]]:
    """The query parameters an operation cannot do without, with their schemas."""
    return {
        p["name"]: p.get("schema", {})
        for p in op.doc.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


def body_fields(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """Every property name anywhere in a request schema (nested lines included)."""
    schema = resolve(spec, schema)
    names: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        names.add(name)
        sub = resolve(spec, sub)
        if sub.get("type") == "array":
            names |= body_fields(spec, sub.get("items", {}))
        elif sub.get("type") == "object":
            names |= body_fields(spec, sub)
    return names


@functools.cache
def _matching(pattern: str) -> str:
    return find(st.from_regex(pattern, fullmatch=True), lambda _: True)


def example(
    spec: dict[str, Any],
    schema: dict[str, Any],
    fill: dict[str, Any],
    name: str = "",
    force: frozenset[str] = frozenset(),
) -> Any:
    """The smallest value `schema` accepts: its required properties only, plus those named in
    `force`; a property named in `fill` takes that value."""
    if name in fill:
        return fill[name]
    schema = resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        wanted = set(schema.get("required", [])) | force
        properties = schema.get("properties", {})
        return {k: example(spec, sub, fill, k, force) for k, sub in properties.items() if k in wanted}
    if kind == "array":
        return [example(spec, schema.get("items", {}), fill, force=force)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date":
            return dt.date.today().isoformat()
        if schema.get("format") == "date-time":
            return dt.datetime.now(dt.UTC).isoformat()
        if "pattern" in schema:
            return _matching(schema["pattern"])
        return "x" * max(schema.get("minLength", 1), 1)
    return None
