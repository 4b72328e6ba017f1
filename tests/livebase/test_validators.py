import pytest

from livebase import Int64, ValidationError, v
from livebase.engine.validators import as_object_validator


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (v.string(), "x", 1),
        (v.number(), 1.5, "1"),
        (v.number(), 3, True),
        (v.int64(), Int64(3), "3"),
        (v.boolean(), False, 0),
        (v.bytes(), b"x", "x"),
        (v.null(), None, 0),
        (v.literal("a"), "a", "b"),
        (v.literal(1), 1.0, True),
        (v.array(v.number()), [1, 2], [1, "2"]),
        (v.object({"a": v.string()}), {"a": "x"}, {"a": 1}),
        (v.record(v.string(), v.number()), {"k": 1}, {"k": "v"}),
        (v.union(v.string(), v.null()), None, 1),
        (v.nullable(v.string()), None, 2),
    ],
)
def test_each_validator_accepts_its_type_and_rejects_others(validator, good, bad):
    validator.check(good)
    with pytest.raises(ValidationError):
        validator.check(bad)


def test_any_accepts_everything():
    assert v.any().check({"x": [1, b"y"]}) == {"x": [1, b"y"]}


def test_int64_turns_plain_ints_into_int64():
    assert isinstance(v.int64().check(5), Int64)
    with pytest.raises(ValidationError, match="int64 range"):
        v.int64().check(2**70)


def test_errors_name_the_path_of_the_field():
    validator = v.object({"user": v.object({"tags": v.array(v.string())})})
    with pytest.raises(ValidationError, match=r"\.user\.tags\[1\]") as err:
        validator.check({"user": {"tags": ["a", 2]}})
    assert "v.string()" in err.value.message


def test_missing_and_extra_fields_are_named():
    validator = v.object({"a": v.string(), "b": v.optional(v.number())})
    validator.check({"a": "x"})
    with pytest.raises(ValidationError, match=r"Missing required field at \.a"):
        validator.check({})
    with pytest.raises(ValidationError, match="extra field 'c'"):
        validator.check({"a": "x", "c": 1})


def test_id_validator_checks_the_table():
    validator = v.id("notes")
    validator.resolve_table = {"notes": 10001, "other": 10002}.get
    from livebase.engine.ids import new_id

    validator.check(new_id(10001))
    with pytest.raises(ValidationError, match="another table"):
        validator.check(new_id(10002))
    with pytest.raises(ValidationError, match="not an ID"):
        validator.check("nope")


def test_validators_export_as_convex_json():
    assert v.object({"a": v.optional(v.id("t"))}).to_json() == {
        "type": "object",
        "value": {"a": {"fieldType": {"type": "id", "tableName": "t"}, "optional": True}},
    }
    assert repr(v.array(v.union(v.string(), v.null()))) == "v.array(v.union(v.string(), v.null()))"


def test_builders_refuse_non_validators():
    with pytest.raises(TypeError):
        v.array("string")
    with pytest.raises(TypeError):
        as_object_validator(["a"], "args")
