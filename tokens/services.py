"""Issuing and revoking API tokens, once, for the API and the panel's pages alike."""

import hmac
import logging

from django.db import IntegrityError, transaction

from lwp.exceptions import TokenExists, TokenNotFound
from operations import audit
from tokens.models import Token, is_valid_token_text, token_digest

log = logging.getLogger("lwp.tokens")


def issue_token(*, user, raw_token=None, description="", read_only=False, expires=None, issuer=None,
                by=None, origin=None, note=""):
    """A new token of `user`; returns (token, raw_token). raw_token None: a strong one is generated;
    a chosen one shorter than 16 characters is marked weak.

    `by` (default: `user`) is who issues it, recorded in the audit log with `origin` (and `note`).

    `issuer` is the token the request came with, if any: a token never mints one that
    outlives it, so an expiring token cannot be traded for an everlasting one.
    """
    if raw_token is not None and Token.objects.filter(digest=token_digest(raw_token)).exists():
        _refuse_existing(by=by or user, description=description, origin=origin)
    if issuer is not None and issuer.expires is not None:
        expires = min(expires, issuer.expires) if expires is not None else issuer.expires
    try:
        with transaction.atomic():
            token, raw_token = Token.issue(user=user, raw_token=raw_token, description=description,
                                           read_only=read_only, expires=expires)
    except IntegrityError:  # the same token added by a concurrent request
        _refuse_existing(by=by or user, description=description, origin=origin)
    log.info("token #%s issued to %s", token.pk, user)
    audit.record_event(action="token.create", target=_audit_name(token), user=by or user, origin=origin,
                       message=f"for {user.get_username()}" + (", read-only" if read_only else "")
                       + (", weak" if token.weak else "") + note)
    return token, raw_token


def _refuse_existing(*, by, description, origin):
    """A chosen token that exists already is refused, and recorded: the 409 confirmed a guess."""
    audit.record_event(action="token.create", target=f"token:{str(description)[:80]}", outcome=audit.FAILED,
                       user=by, origin=origin, message="a token with this secret already exists")
    raise TokenExists("this token already exists; choose another", fields={"token": "already exists"})


def revoke_token(*, raw_token, user, origin=None):
    """Revoke a token of `user` (any user's, for a superuser); the next call with it is a 401.

    Another user's token answers exactly like an unknown one: a 403 would confirm a guess.
    """
    token = _unrevoked(raw_token)
    if token is None or (token.user_id != user.pk and not user.is_superuser):
        raise TokenNotFound("no such token")
    _revoke(token, by=user, origin=origin)
    return token


def revoke_own_token(*, token_id, user, origin=None):
    """Revoke one of `user`'s own tokens by its id (the tokens page lists only those)."""
    token = Token.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise TokenNotFound("no such token")
    _revoke(token, by=user, origin=origin)
    return token


def revoke_tokens(*, tokens, user, origin=None):
    """Revoke the unrevoked ones among `tokens` (the admin's selection); returns how many."""
    revoked = 0
    for token in tokens.filter(revoked_at__isnull=True).select_related("user"):
        _revoke(token, by=user, origin=origin)
        revoked += 1
    return revoked


def _revoke(token, *, by, origin):
    token.revoke()
    log.info("token #%s of %s revoked by %s", token.pk, token.user, by)
    audit.record_event(action="token.revoke", target=_audit_name(token), user=by, origin=origin,
                       message=f"of {token.user.get_username()}")


def _audit_name(token):
    """How the audit log names a token: its description and number, never its secret."""
    return f"token:{str(token)[:80]} (#{token.pk})"


def _unrevoked(raw_token):
    if not is_valid_token_text(raw_token):
        return None
    digest = token_digest(raw_token)
    token = Token.objects.filter(digest=digest, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    return token
