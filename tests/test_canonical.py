"""canonical_bytes is RFC 8785: the fast path writes exactly what the rfc8785 package writes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.canonical import canonical_bytes

keys = st.text(max_size=6) | st.sampled_from(["a", "b", "\ue000", "\U0001f600", "\uffff", "é", "字段"])
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400)
@given(values)
def test_same_bytes_as_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except Exception as exc:  # noqa: BLE001 - whatever rfc8785 refuses, we refuse too
        with pytest.raises(type(exc)):
            canonical_bytes(value)
        return
    assert canonical_bytes(value) == expected


def test_key_order_is_utf16_not_code_points() -> None:
    value = {"\ue000": 1, "\U0001f600": 2}
    assert canonical_bytes(value) == rfc8785.dumps(value)
    assert canonical_bytes(value).index("\U0001f600".encode()) < canonical_bytes(value).index(
        "\ue000".encode()
    )


def test_floats_are_refused() -> None:
    for value in ({"fine": 1.5}, {"处罚": [{"金额": "100", "比例": 0.5}]}, ["文号", [2.0]]):
        with pytest.raises(TypeError, match="floats"):
            canonical_bytes(value)


def test_values_json_has_no_type_for_are_refused() -> None:
    """orjson writes dates, UUIDs and dataclasses; RFC 8785 has no such types, and neither do we."""
    import dataclasses
    import datetime as dt
    import uuid

    @dataclasses.dataclass
    class Point:
        x: int

    for value in ({"决定日期": dt.date(2026, 11, 27)}, [uuid.uuid4()], {"p": Point(1)}):
        with pytest.raises(rfc8785.CanonicalizationError, match="unsupported type"):
            canonical_bytes(value)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(rfc8785.CanonicalizationError, match="non-UTF-8"):
        canonical_bytes({"名称": "\ud800"})
