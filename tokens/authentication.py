"""API token authentication: LWP's `private_token` / `private-token`, and `Bearer`.

Only a keyed digest of each token is stored (tokens.models); a presented token
is digested, looked up by digest and compared in constant time. Returning None
means "not a token request", so SessionAuthentication (listed after) gets its turn.
A failed token counts against the client's address (tokens.throttle); a locked-out
address is refused before its token is even looked at.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from operations import audit
from operations.models import Source
from operations.origin import Origin
from tokens import throttle
from tokens.models import Token, is_valid_token_text

QUERY_PARAMETER = "private_token"
HEADER = "HTTP_PRIVATE_TOKEN"  # "private-token: ..." in any letter case
# last_used is a hint, not an audit log: one write per token per minute at most.
LAST_USED_PRECISION = timedelta(minutes=1)


def presented_token(request):
    """The token text the request carries, or None when it carries none."""
    header = request.META.get(HEADER)
    if header:
        return header.strip()
    scheme, _, credentials = get_authorization_header(request).decode("latin-1").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip()
    return request.query_params.get(QUERY_PARAMETER) or None


def touch_last_used(token):
    """Record use when the stored time is over a minute old; otherwise no write at all."""
    now = timezone.now()
    if token.last_used is not None and token.last_used >= now - LAST_USED_PRECISION:
        return
    # Conditional, so concurrent requests of the same token write once between them.
    stale = Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_PRECISION)
    Token.objects.filter(pk=token.pk).filter(stale).update(last_used=now)


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw_token = presented_token(request)
        if raw_token is None:
            return None
        # A locked-out address gets 429 even with a good token, so guessing learns nothing there.
        throttle.refuse_if_locked_out(request)
        token = Token.find(raw_token) if is_valid_token_text(raw_token) else None
        if token is None or not token.user.is_active:
            throttle.record_failure(request)
            audit.record_event(action="token.refused", target=audit.request_target(request),
                               outcome=audit.DENIED,
                               origin=Origin.of_request(request, Source.API),
                               message="unknown, revoked or expired token")
            raise AuthenticationFailed("unknown, revoked or expired token")
        touch_last_used(token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="LWP API"'
