"""The authorization matrix: every operation in the OpenAPI document, as every kind of caller
(anonymous, two shoppers, two distributors, staff, owner), plus every object someone owns, named by
everyone else who may call that operation.

What each caller may do is read from the document itself (each operation's `x-roles`, written by
`@access`), so an operation added later is probed without being listed here, and an operation that
declares no roles fails this test. Expectations:

- a role the operation does not admit gets 401 (anonymous) or 403, never a 2xx, and changes nothing;
- a role it admits is served (neither refused nor a 5xx);
- someone else's object (an order, address, cart line, invoice, held coupon, share link, session,
  order line, customer record) is a 404 and changes nothing; the owner reaches the same object;
- no list shows anyone else's objects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from backend import clock
from tests.security import world as worlds
from tests.security.probes import (
    Operation,
    body_fields,
    body_schema,
    example,
    openapi_path,
    operations,
    required_query,
    resolve,
    url,
)
from tests.store.conftest import snapshot as shop_snapshot

STAFF_ROLES = ("staff", "owner")
# What the role gate answers: no (or a dead) token, and a role the operation does not admit. A
# 401 or 403 with any other code is the operation's own answer (a wrong password, a bad signature).
REFUSALS = {401: {"unauthenticated", "invalid_token"}, 403: {"forbidden"}}


def refused(response: Any) -> bool:
    body = response.get_json(silent=True)
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return code in REFUSALS.get(response.status_code, ())


def snapshot() -> dict[str, Any]:
    """Every ledger and shop table (tests.store), plus sessions, share links and after-sales."""
    from backend.auth.models import AuthToken
    from backend.receivables.statement_models import Statement, StatementDispute
    from store.shop_models import AfterSaleRequest, ShareLink

    state = shop_snapshot()
    state["sessions"] = sorted((t.id, t.revoked_at is None) for t in AuthToken.select())
    state["share_links"] = ShareLink.select().count()
    state["aftersales"] = sorted((r.id, r.status) for r in AfterSaleRequest.select())
    state["statements"] = sorted((s.id, s.status, s.content_hash) for s in Statement.select())
    state["statement_disputes"] = sorted((d.id, d.status) for d in StatementDispute.select())
    return state


@contextmanager
def nothing_changes(what: str, problems: list[str]) -> Iterator[None]:
    before = snapshot()
    yield
    after = snapshot()
    changed = {k for k in before if before[k] != after[k]}
    assert not changed, f"{what} changed {sorted(changed)}; wrong answers: {problems}"


class Matrix:
    def __init__(self, client: Any, sandbox: Any, spec: dict[str, Any], world: worlds.World) -> None:
        self.client, self.sandbox, self.spec, self.world = client, sandbox, spec, world
        self.problems: list[str] = []
        self.counts: Counter[str] = Counter()

    # ------------------------------------------------------------ building requests

    def catalog_value(self, param: str) -> Any:
        goods, first = self.world.shop, self.world.by_name("shopper_a")
        return {
            "product_id": goods.wine.id,
            "coupon_id": self.world.coupon_id,
            "category_id": goods.category.id,
            "sku_id": goods.sku.id,
            "level_id": goods.gold.id,
            "request_id": first.owns["aftersale"][0],
            "payment_id": 1,
            "refund_id": 1,
            "bill_date": clock.today().isoformat(),
            "warehouse_id": goods.warehouse.id,
        }.get(param)

    def own_or_any(self, kind: str, caller: worlds.Principal) -> Any:
        if caller.owns.get(kind):
            return caller.owns[kind][0]
        owners = self.world.owners_of(kind)
        return owners[0].owns[kind][0] if owners else 1

    def values(
        self, op: Operation, caller: worlds.Principal, fixed: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A value for every path parameter and body field the world knows: the caller's own object
        where they have one, else someone's; `fixed` wins."""
        names = set(op.path_params) | set(required_query(op))
        schema = body_schema(self.spec, op)
        if schema is not None:
            names |= body_fields(self.spec, schema)
        values = {}
        for name in names:
            if name in worlds.OWNED:
                values[name] = self.own_or_any(worlds.OWNED[name], caller)
            elif self.catalog_value(name) is not None:
                values[name] = self.catalog_value(name)
        for name in op.path_params:
            values.setdefault(name, 1)  # something only staff reach (the declarations check says so)
        return {**values, **(fixed or {})}

    def call(self, op: Operation, caller: worlds.Principal, fixed: dict[str, Any] | None = None) -> Any:
        values = self.values(op, caller, fixed)
        headers = {**caller.headers, "Idempotency-Key": f"matrix-{self.counts.total()}"}
        schema = body_schema(self.spec, op)
        kwargs: dict[str, Any] = {"headers": headers}
        query = required_query(op)
        if query:
            kwargs["query_string"] = {
                name: values[name] if name in values else example(self.spec, sub, {})
                for name, sub in query.items()
            }
        if schema is not None:
            fill = {k: v for k, v in values.items() if k not in op.path_params}
            fill.setdefault("quantity", 1)
            kwargs["json"] = example(self.spec, schema, fill, force=frozenset(fixed or ()))
        return self.client.open(url(op, values), method=op.method, **kwargs)

    def note(self, op: Operation, caller: worlds.Principal, response: Any, expected: str) -> None:
        body = response.get_json(silent=True)
        self.problems.append(f"{op} as {caller.name}: {response.status_code} {body}, expected {expected}")

    # ------------------------------------------------------------ the probes

    def declarations(self, app: Any, ops: list[Operation]) -> None:
        documented = {(op.method, op.path) for op in ops}
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/") or rule.endpoint.startswith(("api-docs", "swagger_asset")):
                continue
            path = openapi_path(rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                if (method, path) not in documented:
                    self.problems.append(f"{method} {path} is served but not in the OpenAPI document")
        for op in ops:
            if not op.roles:
                self.problems.append(f"{op} declares no roles (x-roles): use @access(...)")
            for param in op.path_params:
                known = param in worlds.OWNED or param in worlds.NOT_OWNED
                if not known and any(r not in STAFF_ROLES for r in op.roles):
                    self.problems.append(
                        f"{op}: path parameter {param} -- say in tests/security/world.py whether it names "
                        "someone's object (OWNED, with one made for each owner) or not (NOT_OWNED)"
                    )

    def refused_roles(self, ops: list[Operation]) -> None:
        with nothing_changes("refused calls", self.problems):
            for op in ops:
                for caller in self.world.principals:
                    if op.admits(caller.role):
                        continue
                    self.counts["role cells"] += 1
                    response = self.call(op, caller)
                    wanted = 401 if caller.role is None else 403
                    if response.status_code != wanted or not refused(response):
                        self.note(op, caller, response, f"{wanted} from the role gate")

    def others_objects(self, ops: list[Operation]) -> None:
        """Each object named by everyone the operation admits but its owner: a 404."""
        with nothing_changes("calls naming someone else's object", self.problems):
            for op, param, owner, obj in self._object_cells(ops):
                for caller in self.world.principals:
                    if caller is owner or not op.admits(caller.role):
                        continue
                    if caller.role in STAFF_ROLES and worlds.OWNED[param] not in worlds.PER_LOGIN:
                        continue  # staff act on every customer's objects
                    self.counts["objects probed"] += 1
                    response = self.call(op, caller, {param: obj})
                    if not self._refused_as_unknown(op, param, response):
                        self.note(op, caller, response, f"404 for {owner.name}'s {param}={obj}")

    def _refused_as_unknown(self, op: Operation, param: str, response: Any) -> bool:
        if param in op.path_params:
            return response.status_code == 404
        # Named in the body: refused without a trace, as not found or as not allowed for this caller.
        return response.status_code in (404, 422)

    def _object_cells(self, ops: list[Operation]) -> Iterator[tuple[Operation, str, worlds.Principal, Any]]:
        for op in ops:
            named = set(op.path_params)
            schema = body_schema(self.spec, op)
            if schema is not None:
                named |= {f for f in body_fields(self.spec, schema) if f.endswith("_id")}
            for param in sorted(named & worlds.OWNED.keys()):
                if param in op.shared_params:
                    continue
                for owner in self.world.owners_of(worlds.OWNED[param]):
                    for obj in owner.owns[worlds.OWNED[param]]:
                        yield op, param, owner, obj

    def lists(self, ops: list[Operation]) -> None:
        """Every list a person may read shows only their own objects."""
        for op in ops:
            if op.method != "GET" or op.path_params:
                continue
            schema = op.doc["responses"].get("200", {}).get("content", {}).get("application/json", {})
            if "schema" not in schema:
                continue
            for caller in self.world.principals:
                if caller.role in STAFF_ROLES or caller.role is None or not op.admits(caller.role):
                    continue
                self.counts["lists read"] += 1
                response = self.call(op, caller)
                if response.status_code != 200:
                    self.note(op, caller, response, "200")
                    continue
                for leak in self._others_in(schema["schema"], response.get_json(), caller):
                    self.problems.append(f"{op} as {caller.name} shows {leak}")

    def _others_in(self, schema: dict[str, Any], value: Any, caller: worlds.Principal) -> Iterator[str]:
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        schema = resolve(self.spec, schema)
        if isinstance(value, list):
            for item in value:
                yield from self._others_in(schema.get("items", {}), item, caller)
            return
        if not isinstance(value, dict):
            return
        kind = worlds.KIND_OF_SCHEMA.get(ref)
        for other in self.world.principals:
            if other is caller:
                continue
            if kind and value.get("id", value.get("code")) in other.owns.get(kind, ()):
                yield f"{other.name}'s {kind} {value}"
            if "customer_id" in value and value["customer_id"] == other.customer_id is not None:
                yield f"{other.name}'s {ref or 'object'} {value}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                yield from self._others_in(sub, value[key], caller)

    def owners_reach(self, ops: list[Operation]) -> None:
        """The owner of each object reaches it through every operation naming it in the path (reads
        first, deletes last): the 404s above are about the caller, not about a missing object."""
        order = {"GET": 0, "PATCH": 1, "PUT": 1, "POST": 2, "DELETE": 3}
        cells = [c for c in self._object_cells(ops) if c[1] in c[0].path_params]
        for op, param, owner, obj in sorted(cells, key=lambda c: order[c[0].method]):
            if not op.admits(owner.role):
                continue
            self.counts["owner reach"] += 1
            response = self.call(op, owner, {param: obj})
            if response.status_code in (401, 403, 404) or response.status_code >= 500:
                self.note(op, owner, response, f"its owner to reach {param}={obj}")

    def admitted_roles(self, ops: list[Operation]) -> None:
        """Every role an operation admits is served: not refused, not a 5xx (a refusal for the state
        the object is in, or for the request, is fine). Runs last: these calls change things."""
        for op in ops:
            for caller in self.world.principals:
                if not op.admits(caller.role):
                    continue
                self.counts["role cells"] += 1
                response = self.call(op, caller)
                if refused(response) or response.status_code >= 500:
                    self.note(op, caller, response, "served")
                if (
                    caller.role is not None
                    and self.client.get("/api/auth/me", headers=caller.headers).status_code == 401
                ):
                    worlds.relogin(self.client, self.sandbox, caller)  # it logged itself out


def test_every_operation_as_every_role_and_every_object_as_everyone_else(app, client, wechat_sandbox, world):
    spec = client.get("/api/openapi.json").get_json()
    ops = operations(spec)
    matrix = Matrix(client, wechat_sandbox, spec, world)
    matrix.declarations(app, ops)
    assert matrix.problems == []

    matrix.refused_roles(ops)
    matrix.others_objects(ops)
    matrix.lists(ops)
    matrix.owners_reach(ops)
    matrix.admitted_roles(ops)

    print("", *matrix.problems, sep="\n")
    print(
        f"\nauthorization matrix: {len(ops)} operations x {len(world.principals)} callers = "
        f"{matrix.counts['role cells']} role cells; {matrix.counts['objects probed']} calls naming someone "
        f"else's object; {matrix.counts['lists read']} lists read; {matrix.counts['owner reach']} owner calls"
    )
    assert matrix.problems == []
    assert matrix.counts["role cells"] == len(ops) * len(world.principals)
