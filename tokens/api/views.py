"""Token routes of API v1: add a token for the caller's user, revoke one."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from lwp.exceptions import TokenExists, TokenNotFound
from operations.origin import api_origin
from tokens import services, throttle
from tokens.api.serializers import TokenCreatedSerializer, TokenCreateSerializer
from tokens.models import Token


class TokenViewSet(ApiViewMixin, viewsets.ViewSet):
    @extend_schema(
        summary="Add an API token for the caller's user",
        description="The token works from now on, with no more power than the caller's user. "
                    "A read-only caller cannot add tokens. A chosen token that already exists is a 409, "
                    "which counts as a failed attempt: too many lock the caller out (429).",
        request=TokenCreateSerializer,
        responses={200: TokenCreatedSerializer, **errors(400, 401, 403, 409)},
    )
    def create(self, request):
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        issuer = request.auth if isinstance(request.auth, Token) else None
        username = request.user.get_username()
        throttle.refuse_if_locked_out(request, username=username)
        try:
            token, raw_token = services.issue_token(
                user=request.user, raw_token=params.get("token"), description=params.get("description", ""),
                read_only=params["read_only"], expires=params.get("expires"), issuer=issuer,
                origin=api_origin(request))
        except TokenExists:
            throttle.record_failure(request, username=username)  # a 409 confirmed a guessed token
            raise
        body = {"status": "ok", "id": token.pk, "description": token.description,
                "read_only": token.read_only, "created": token.created, "expires": token.expires}
        if "token" not in params:
            body["token"] = raw_token  # generated: this answer is the only place it is ever shown
        return Response(TokenCreatedSerializer(body).data)

    @extend_schema(
        summary="Revoke an API token",
        description="Only its owner or a superuser may; another user's token is a 404, like an unknown one. "
                    "The next call with it gets a 401.",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description="the token itself (percent-encode / ? # %)")],
        responses={200: {"type": "object", "properties": {"status": {"type": "string", "example": "ok"}}},
                   **errors(401, 403, 404)},
    )
    def destroy(self, request, token):
        try:
            services.revoke_token(raw_token=token, user=request.user, origin=api_origin(request))
        except TokenNotFound:
            if not token.endswith("/"):
                raise
            # The route's trailing-slash twin: the path converter kept the slash in the token.
            services.revoke_token(raw_token=token[:-1], user=request.user, origin=api_origin(request))
        return Response({"status": "ok"})
