"""Sign-in events, recorded from Django's own signals (panel and admin alike).

Admin changes are recorded by the admin site itself (operations/admin_site.py), password
changes by their views (operations/auth_views.py): Django sends no signal for either that
carries the request.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from operations import audit
from operations.origin import origin_of
from tokens import throttle


@receiver(user_logged_in, dispatch_uid="lwp-audit-login")
def _signed_in(sender, request, user, **kwargs):
    audit.record_event(action="auth.login", target=f"user:{user.get_username()}", user=user,
                       origin=origin_of(request))


@receiver(user_login_failed, dispatch_uid="lwp-audit-login-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    if sender == throttle.FAILURE_SENDER:
        # The throttle counting a refused token or a guessed one: not a sign-in, and already
        # recorded by its caller (token.refused, token.create failed).
        return
    # Django masks the password in `credentials`; the typed name is kept (it may be mistyped).
    typed = str(credentials.get("username", ""))[:150]
    audit.record_event(action="auth.login", target=f"user:{typed}", outcome=audit.FAILED, username=typed,
                       origin=origin_of(request), message="wrong user name or password")


@receiver(user_logged_out, dispatch_uid="lwp-audit-logout")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record_event(action="auth.logout", target=f"user:{user.get_username()}", user=user,
                           origin=origin_of(request))
