"""The signed-in user's API tokens: list, create (the secret shown once), revoke.

Tokens act as their owner, so every signed-in user may manage their own; other
users' tokens are not found here (the admin manages everyone's).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from containers.exceptions import LWPError
from tokens import services
from tokens.forms import TokenCreateForm
from tokens.models import Token


def _render_list(request, form, *, secret=None, status=200):
    tokens = Token.objects.filter(user=request.user, revoked_at__isnull=True)
    return render(request, "tokens/list.html", {"tokens": tokens, "form": form, "secret": secret},
                  status=status)


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
                                             read_only=form.cleaned_data["read_only"], expires=form.expires())
    except LWPError as error:
        form.add_error(None, error.message)
        return _render_list(request, form, status=400)
    messages.success(request, f"Created token {token}. Copy its secret now: it is shown only once.")
    return _render_list(request, TokenCreateForm(), secret=secret, status=201)


@require_POST
@login_required
def revoke(request, pk):
    token = get_object_or_404(Token, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoke()
    messages.success(request, f"Revoked token {token}: the API refuses it from now on.")
    return redirect("tokens:list")
