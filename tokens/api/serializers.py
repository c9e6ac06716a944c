from django.utils import timezone
from rest_framework import serializers

from lwp.api.fields import RefuseUnknownFields, TextField
from tokens.models import (TOKEN_MAX_LENGTH, TOKEN_STRONG_LENGTH, is_valid_token_text, new_token_min_length,
                           new_token_rule)


class TokenCreateSerializer(RefuseUnknownFields, serializers.Serializer):
    token = TextField(
        required=False, trim_whitespace=False,
        help_text=f"LWP_TOKEN_MIN_LENGTH ({TOKEN_STRONG_LENGTH} unless lowered) to {TOKEN_MAX_LENGTH} "
                  f"printable characters, no spaces; shorter than {TOKEN_STRONG_LENGTH}: marked weak; "
                  "omitted: the server generates one and returns it once")
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    read_only = serializers.BooleanField(required=False, default=False,
                                         help_text="the token may only read (GET)")
    expires = serializers.DateTimeField(required=False, allow_null=True,
                                        help_text="ISO 8601; the token stops working then")

    def validate_token(self, value):
        if not is_valid_token_text(value, min_length=new_token_min_length()):
            raise serializers.ValidationError(f"must be {new_token_rule()}")
        return value

    def validate_expires(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("must be in the future")
        return value


class TokenCreatedSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    id = serializers.IntegerField()
    description = serializers.CharField()
    read_only = serializers.BooleanField()
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField(allow_null=True)
    token = serializers.CharField(required=False, help_text="only when the server generated it: "
                                                            "shown this once, never again")
