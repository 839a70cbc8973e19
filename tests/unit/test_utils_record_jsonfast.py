from __future__ import annotations

import json

import pytest

from dockyard.utils import jsonfast
from dockyard.utils.record import asdict, field, record, replace


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@record
class Bag:
    name: str
    items: list[int] = field(default_factory=list)
    inner: Point | None = None


def test_records_construct_compare_and_hash_like_dataclasses() -> None:
    assert Point(1) == Point(x=1, y=0)
    assert Point(1, 2) != Point(1, 3)
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    with pytest.raises(TypeError, match="missing argument"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected"):
        Point(1, z=3)  # type: ignore[call-arg]


def test_frozen_records_refuse_assignment_and_mutable_ones_allow_it() -> None:
    p = Point(1)
    with pytest.raises(AttributeError):
        p.x = 2  # type: ignore[misc]
    b = Bag("b")
    b.name = "c"
    assert b.name == "c"


def test_default_factories_give_each_record_its_own_value() -> None:
    a, b = Bag("a"), Bag("b")
    a.items.append(1)
    assert b.items == []


def test_replace_and_asdict() -> None:
    assert replace(Point(1, 2), y=5) == Point(1, 5)
    bag = Bag("b", [1], Point(3))
    assert asdict(bag) == {"name": "b", "items": [1], "inner": {"x": 3, "y": 0, "tags": ()}}


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, 'é"\\n']}, [], "", 0, {"nested": {"k": [{}]}}],
)
def test_jsonfast_matches_json(value: object) -> None:
    assert jsonfast.dumps(value) == json.dumps(value)
    assert jsonfast.loads(json.dumps(value)) == value
    assert jsonfast.loads(json.dumps(value).encode()) == value


def test_jsonfast_errors_are_jsons_errors() -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting"):
        jsonfast.loads("{bad")
    with pytest.raises(json.JSONDecodeError, match="Extra data"):
        jsonfast.loads("[1] x")
