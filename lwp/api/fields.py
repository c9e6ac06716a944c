"""Serializer pieces every API route's input shares: strict text, no unknown fields."""

from rest_framework import serializers


class RefuseUnknownFields:
    """Serializer mixin: a body field the route does not know is a 400, never silently dropped.

    A typo must not hand the client something else than it asked for: {"readonly": true}
    would otherwise mint a token that can write.
    """

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(str(key)[:40] for key in set(data.keys()) - set(self.fields))
            if unknown:
                known = ", ".join(self.fields)
                raise serializers.ValidationError({key: f"unknown field; this route takes {known}"
                                                   for key in unknown[:10]})
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """A CharField that refuses a JSON number or boolean instead of turning it into text.

    {"name": 5} must not create a container "5", nor {"token": 1234...} a token of digits.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
