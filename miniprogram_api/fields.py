"""marshmallow fields whose OpenAPI type is exact where the stock ones say nothing.

`fields.Method` and `fields.Function` are documented without a type, and a JSON text column would
be documented as a string; these fields document (and dump) what the client actually receives.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import marshmallow as ma


class _FromJsonText:
    """The column holds JSON text; the client receives what it encodes."""

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        value = super().get_value(obj, attr, accessor, default)  # type: ignore[misc]
        return json.loads(value) if isinstance(value, str) else value


class JsonList(_FromJsonText, ma.fields.List):
    """A list kept as JSON text (after-sales lines, product pictures)."""


class JsonNested(_FromJsonText, ma.fields.Nested):
    """An object kept as JSON text (the delivery address snapshot)."""


class _Computed:
    """The value is `compute(obj)` instead of an attribute of `obj`."""

    def __init__(self, *args: Any, compute: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compute = compute

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        return self.compute(obj)


class ComputedInteger(_Computed, ma.fields.Integer):
    pass


class ComputedBoolean(_Computed, ma.fields.Boolean):
    pass


class ComputedNested(_Computed, ma.fields.Nested):
    pass


class ComputedString(_Computed, ma.fields.String):
    pass
