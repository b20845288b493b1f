"""The OpenAPI document is the truth: every operation documents its success body with a typed
schema, and what the endpoints answer matches what the document says."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.payments.conftest import live, live_server, settings, wechat_buyer  # noqa: F401
from tests.store.conftest import add_to_cart, checkout, shop, shopper  # noqa: F401

METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def test_every_operation_documents_a_typed_success_body(client):
    spec = client.get("/api/openapi.json").json
    problems = []
    for method, path, op in operations(spec):
        success = {status: r for status, r in op["responses"].items() if status.startswith("2")}
        if not success:
            problems.append(f"{method} {path}: no 2xx response documented")
        for status, response in success.items():
            if status == "204":
                continue
            content = response.get("content")
            if not content:
                problems.append(f"{method} {path} {status}: no body documented")
            elif "application/json" in content and "schema" not in content["application/json"]:
                problems.append(f"{method} {path} {status}: JSON without a schema")
    assert problems == []


def test_every_documented_field_has_a_type_and_money_is_integer_fen(client):
    spec = client.get("/api/openapi.json").json
    problems = []
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if not {"type", "$ref", "anyOf", "allOf"} & prop.keys():
                problems.append(f"{name}.{field}: no type")
            if field.endswith("_fen") and prop.get("type") != "integer":
                problems.append(f"{name}.{field}: money must be integer fen, documented {prop}")
    assert problems == []


# ---------------------------------------------------------------- answers match the document


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def conforms(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> None:
    """Raise AssertionError unless `value` is exactly what `schema` documents: every documented
    property present and no other, each of its documented type (null only where nullable)."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                conforms(spec, option, value, where)
                return
            except AssertionError as exc:
                failures.append(str(exc))
        raise AssertionError(f"{where}: matches none of {failures}")
    if value is None:
        assert schema.get("nullable"), f"{where}: null, but not documented as nullable"
        return
    kind = schema["type"]
    if kind == "object":
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        properties = schema.get("properties")
        if properties is not None:
            assert set(value) == set(properties), f"{where}: keys {sorted(value)} != {sorted(properties)}"
            for key, sub in properties.items():
                conforms(spec, sub, value[key], f"{where}.{key}")
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                conforms(spec, schema["additionalProperties"], item, f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), f"{where}: {value!r} is not an array"
        for i, item in enumerate(value):
            conforms(spec, schema["items"], item, f"{where}[{i}]")
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r} is not an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r} is not a boolean"
    elif kind == "string":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
        if schema.get("format") == "date-time":
            dt.datetime.fromisoformat(value)
        elif schema.get("format") == "date":
            dt.date.fromisoformat(value)
    else:
        raise AssertionError(f"{where}: undocumented type {kind}")


def _operation(spec: dict[str, Any], method: str, url: str) -> dict[str, Any]:
    path = url.split("?", 1)[0]
    for template, ops in spec["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in ops:
            return ops[method.lower()]
    raise AssertionError(f"{method} {path} is not documented")


def assert_answer_documented(spec: dict[str, Any], method: str, url: str, response: Any) -> None:
    documented = _operation(spec, method, url)["responses"][str(response.status_code)]
    conforms(spec, documented["content"]["application/json"]["schema"], response.json, f"{method} {url}")


def test_the_conformance_check_catches_a_wrong_answer(client):
    spec = client.get("/api/openapi.json").json
    page = {"$ref": "#/components/schemas/AfterSalePage"}
    conforms(spec, page, {"items": [], "next_cursor": None})
    wrong = [
        {"items": []},  # a field missing
        {"items": [], "next_cursor": None, "total": 0},  # a field not documented
        {"items": [{"id": "1"}], "next_cursor": None},  # a wrong type
    ]
    for body in wrong:
        try:
            conforms(spec, page, body)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {body}")


def test_shop_and_order_answers_match_the_document(client, shop, shopper, wechat_sandbox):  # noqa: F811
    spec = client.get("/api/openapi.json").json
    buyer = shopper()
    assert add_to_cart(client, buyer, shop.sku.id, 2).status_code == 201
    body = checkout(client, buyer, "checkout-doc")
    conforms(spec, {"$ref": "#/components/schemas/CheckoutResultOut"}, body)
    order_id = body["order"]["id"]
    buyer_calls = [
        "/api/shop/products",
        f"/api/shop/products/{shop.wine.id}",
        "/api/shop/categories",
        "/api/cart",
        "/api/addresses",
        "/api/me/member",
        "/api/me/coupons",
        "/api/shop/orders",
        f"/api/shop/orders/{order_id}",
        "/api/orders",
        f"/api/orders/{order_id}",
    ]
    for url in buyer_calls:
        response = client.get(url, headers=buyer.headers)
        assert response.status_code == 200, (url, response.json)
        assert_answer_documented(spec, "GET", url, response)
    for url in ["/api/orders", f"/api/orders/{order_id}", "/api/aftersales", "/api/stock-levels"]:
        response = client.get(url, headers=shop.staff)
        assert response.status_code == 200, (url, response.json)
        assert_answer_documented(spec, "GET", url, response)
    cancelled = client.post(f"/api/shop/orders/{order_id}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.json
    assert_answer_documented(spec, "POST", f"/api/shop/orders/{order_id}/cancel", cancelled)
    assert (cancelled.json["id"], cancelled.json["status"]) == (order_id, "cancelled")
