"""The base of every input schema, and the input hygiene every field gets from it."""
import re

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from backend.platform import language

# Every id and count the database stores is a signed 32-bit INTEGER (both databases): a larger number
# cannot name a row, and PostgreSQL refuses to compare it (a 500 before this bound).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
INT_RANGE_ERROR = "超出范围 / Out of range: must be between {min} and {max}."

# Text is refused at input if it holds a control character (C0 but tab, newline and carriage return;
# DEL; C1): NUL breaks PostgreSQL text and the others poison spreadsheets and file names (issue 18).
# As a pattern so the OpenAPI says it too; lone surrogates (only reachable as JSON \ud800 escapes,
# never in UTF-8) are refused by TextHygiene beside it, since an ECMAScript pattern over UTF-16 code
# units cannot name them without refusing every emoji.
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
TEXT_PATTERN = f"^[^{CONTROL}]*$"
CONTROL_ERROR = "不能包含控制字符 / Must not contain control characters."
SURROGATE_ERROR = "不是有效的文本 / Not valid text (a lone surrogate)."
_CONTROL = re.compile(f"[{CONTROL}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_hygiene(value) -> None:
    """Refuses a string holding a control character (see CONTROL) or a lone surrogate."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise ValidationError(SURROGATE_ERROR)
        if _CONTROL.search(value):
            raise ValidationError(CONTROL_ERROR)


class TextHygiene(validate.Regexp):
    """text_hygiene as a Regexp, so apispec documents it as the field's pattern."""

    def __init__(self):
        super().__init__(TEXT_PATTERN, error=CONTROL_ERROR)

    def __call__(self, value):
        text_hygiene(value)
        return value


def deep_text_hygiene(value) -> None:
    """text_hygiene for free JSON (fields.Dict without typed values, fields.Raw): every key and string
    inside, iteratively (the request's nesting is bounded before it is parsed, errors.py)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            text_hygiene(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _harden(field: fields.Field) -> None:
    """Adds the range and text checks to a field and to every field inside it (lists, dicts, tuples).
    Nested schemas are StrictSchemas themselves and harden their own fields."""
    if isinstance(field, fields.Integer) and not any(isinstance(v, validate.Range) and v.min is not None
                                                     and v.max is not None and INT_MIN <= v.min and v.max <= INT_MAX
                                                     for v in field.validators):
        field.validators.append(validate.Range(INT_MIN, INT_MAX, error=INT_RANGE_ERROR))
    if isinstance(field, fields.String) and not any(v is text_hygiene or isinstance(v, TextHygiene)
                                                    for v in field.validators):
        # A field with a pattern of its own keeps it in the OpenAPI (one pattern per field there).
        has_pattern = any(isinstance(v, validate.Regexp) for v in field.validators)
        field.validators.append(text_hygiene if has_pattern else TextHygiene())
    if isinstance(field, (fields.Mapping, fields.Raw)) and deep_text_hygiene not in field.validators:
        field.validators.append(deep_text_hygiene)
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    for child in inner:
        if isinstance(child, fields.Field):
            _harden(child)


class StrictSchema(Schema):
    """Input schemas refuse unknown fields: a stray `role` or `points` is a 422, never ignored.
    Every Integer is bounded to the database's signed 32-bit range and every String refuses control
    characters and lone surrogates, each a 422 naming the field."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _harden(field_obj)


class ChangeIn(StrictSchema):
    """A change (PATCH, or a PUT of settings) whose fields are each optional: one of them at least,
    or it is a 422 "nothing to change" (the body is required, and an empty one would say nothing)."""

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("没有要修改的内容 / Nothing to change: send at least one field.")


class JsonBoolean(fields.Boolean):
    """true or false, as JSON says them: marshmallow's Boolean also takes 0, 1, "yes", "on"…"""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class JsonInteger(fields.Integer):
    """An integer, as JSON says it: not 2.5 (marshmallow's Integer truncates it to 2), not true."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class ProblemSchema(Schema):
    """An error as every endpoint sends it: RFC 9457 application/problem+json (backend/errors.py).
    Documentation only; members beyond these (e.g. retry_after) may appear."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "a URI naming the kind of problem; about:blank when the status says it"})
    title = fields.String(required=True, metadata={"description": "中文 / English summary"})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "what happened in this occurrence"})
    errors = fields.Dict(keys=fields.String(), metadata={
        "description": "field name → messages (nested objects and list items nest likewise)"})


class OneLanguage(fields.String):
    """A "中文 / English" text dumped in the reader's language only (platform/language.py)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return language.pick(super()._serialize(value, attr, obj, **kwargs))
