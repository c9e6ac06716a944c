"""The shape of the metrics routes' answer, for the OpenAPI schema (the README's Metrics section)."""

from rest_framework import serializers

from metrics.store import RANGES


class MetricsSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='"ok"')
    range = serializers.ChoiceField(choices=list(RANGES))
    step = serializers.IntegerField(help_text="seconds between two points")
    start = serializers.IntegerField(help_text="epoch seconds; the first point is at start + step")
    end = serializers.IntegerField(help_text="epoch seconds of the last point")
    timestamps = serializers.ListField(child=serializers.IntegerField(), help_text="epoch seconds, one per point")
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="one list per series (averages over each step), null where nothing was sampled")
    units = serializers.DictField(child=serializers.CharField(), help_text="each series' unit")
    max = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        help_text="the same series, the highest value sampled within each step")
