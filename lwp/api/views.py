"""The mixin every API v1 view starts from."""

from rest_framework.permissions import IsAuthenticated

from lwp.api.negotiation import AlwaysJson
from lwp.api.parsers import JsonOrFormParser
from lwp.api.routing import RouteVariant
from tokens.permissions import TokenPermissions


class ApiViewMixin(RouteVariant):
    # Shared by every API v1 view: JSON bodies whatever their label, JSON answers, token rules.
    # (A comment, not a docstring: the schema would show a docstring as every view's description.)

    parser_classes = [JsonOrFormParser]
    content_negotiation_class = AlwaysJson
    permission_classes = [IsAuthenticated, TokenPermissions]
