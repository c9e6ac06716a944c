"""What a token may do beyond its user's own permissions: a read-only token only reads."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from tokens.models import Token


class TokenPermissions(BasePermission):
    message = "this token is read-only: it may only read (GET)"

    def has_permission(self, request, view):
        token = request.auth
        if isinstance(token, Token) and token.read_only:
            return request.method in SAFE_METHODS
        return True
