"""The signed-in user's API tokens: list, create (the secret shown once), revoke.

Tokens act as their owner, so every signed-in user may manage their own; other
users' tokens are not found here (the admin manages everyone's).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from lwp.api.exception_handler import error_body
from lwp.api.routing import API_PREFIX
from lwp.exceptions import LWPError, TokenNotFound
from tokens import services, throttle
from tokens.forms import TokenCreateForm
from operations.origin import panel_origin
from tokens.models import WEAK_ADVICE, Token


def _render_list(request, form, *, secret=None, status=200):
    tokens = list(Token.objects.filter(user=request.user, revoked_at__isnull=True))
    context = {"tokens": tokens, "form": form, "secret": secret, "weak_advice": WEAK_ADVICE,
               "has_weak": any(token.weak for token in tokens)}
    return render(request, "tokens/list.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def token_list(request):
    """GET lists; POST creates and answers with the secret, which is never shown again."""
    if request.method == "GET":
        return _render_list(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    try:
        token, secret = services.issue_token(user=request.user, description=form.cleaned_data["description"],
                                             read_only=form.cleaned_data["read_only"], expires=form.expires(),
                                             origin=panel_origin(request))
    except LWPError as error:
        form.add_error(None, error.message)
        return _render_list(request, form, status=400)
    messages.success(request, f"Created token {token}. Copy its secret now: it is shown only once.")
    return _render_list(request, TokenCreateForm(), secret=secret, status=201)


@require_POST
@login_required
def revoke(request, pk):
    try:
        token = services.revoke_own_token(token_id=pk, user=request.user, origin=panel_origin(request))
    except TokenNotFound:
        raise Http404("no such token") from None
    messages.success(request, f"Revoked token {token}: the API refuses it from now on.")
    return redirect("tokens:list")


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After; JSON under /api/, the sign-in page's look elsewhere."""
    seconds = throttle.cool_off_seconds(request)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(error_body(throttle.locked_out_message(request), "locked_out"), status=429)
    else:
        context = {"minutes": max(1, round(seconds / 60)), "failure_limit": settings.AXES_FAILURE_LIMIT}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
