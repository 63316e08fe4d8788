from marshmallow import RAISE, Schema


class StrictSchema(Schema):
    """Input schemas refuse unknown fields: a stray `role` or `points` is a 422, never ignored."""

    class Meta:
        unknown = RAISE
