"""API v1's own routes: the index, the OpenAPI schema and its browsable docs."""

from drf_spectacular.utils import extend_schema, inline_serializer
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from containers import services
from containers.filtersets import STATE_CHOICES
from containers.vocabulary import POWER_ACTIONS
from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from tokens.models import Token

API_VERSION = "1"
PERMISSIONS = {"view": services.VIEW, "change": services.CHANGE, "add": services.ADD,
               "delete": services.DELETE}


def effective_permissions(request):
    """What this caller may do with containers: its user's permissions, less writes for a read-only token."""
    read_only = isinstance(request.auth, Token) and request.auth.read_only
    return {verb: request.user.has_perm(perm) and (verb == "view" or not read_only)
            for verb, perm in PERMISSIONS.items()}


class IndexView(ApiViewMixin, APIView):
    @extend_schema(
        summary="API version and what this server supports",
        operation_id="api_index", tags=["api"],
        responses={200: inline_serializer("ApiIndex", {
            "status": serializers.CharField(), "api_version": serializers.CharField(),
            "server": serializers.CharField(), "user": serializers.CharField(),
            "read_only": serializers.BooleanField(),
            "permissions": serializers.DictField(child=serializers.BooleanField()),
            "actions": serializers.ListField(child=serializers.CharField()),
            "states": serializers.ListField(child=serializers.CharField()),
            "filters": serializers.ListField(child=serializers.CharField()),
            "authentication": serializers.ListField(child=serializers.CharField()),
            "links": serializers.DictField(child=serializers.CharField()),
        }), **errors(401)},
    )
    def get(self, request):
        def link(name):
            return reverse(name, request=request)

        return Response({
            "status": "ok",
            "api_version": API_VERSION,
            "server": "LWP",
            "user": request.user.get_username(),
            "read_only": isinstance(request.auth, Token) and request.auth.read_only,
            "permissions": effective_permissions(request),
            "actions": list(POWER_ACTIONS),
            "states": [state for state, _ in STATE_CHOICES],
            "filters": ["state", "search"],
            "authentication": ["private_token query parameter", "private-token header",
                               "Authorization: Bearer", "session (browser, with CSRF)"],
            "links": {"containers": link("containers-api:list"), "templates": link("containers-api:templates"),
                      "host": link("containers-api:host"), "backups": link("backups-api:all"),
                      "tokens": link("tokens-api:list"),
                      "operations": link("operations-api:list"), "events": link("operations-api:events"),
                      "schema": link("api-schema"), "docs": link("api-docs")},
        })


class SchemaView(ApiViewMixin, SpectacularJSONAPIView):
    """The OpenAPI 3 schema as application/json, for authenticated callers."""

    renderer_classes = [SpectacularJSONAPIView.renderer_classes[-1]]  # media type application/json


# Swagger UI styles itself inline (a <style> in drf-spectacular's page, style attributes, data:
# images); its scripts are files, so script-src stays the panel's own.
DOCS_CSP = {"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]}


@method_decorator(csp_update(DOCS_CSP), name="dispatch")
class DocsView(ApiViewMixin, SpectacularSwaggerSplitView):
    """Swagger UI from drf_spectacular_sidecar's static files: no CDN.

    The split view serves its start-up script from ?script, not inline: the CSP allows no inline script.
    """

    url_name = "api-schema"
