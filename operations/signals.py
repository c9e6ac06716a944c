"""Security events and admin changes, recorded from Django's own signals."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from operations import audit
from operations.origin import Origin, admin_origin, panel_origin

_ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


def _origin(request):
    if request is None:
        return Origin()
    return admin_origin(request) if request.path.startswith("/admin/") else panel_origin(request)


@receiver(user_logged_in, dispatch_uid="lwp-audit-login")
def _signed_in(sender, request, user, **kwargs):
    audit.record_event(action="auth.login", target=f"user:{user.get_username()}", user=user,
                       origin=_origin(request))


@receiver(user_login_failed, dispatch_uid="lwp-audit-login-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django masks the password in `credentials`; the typed name is kept (it may be mistyped).
    typed = str(credentials.get("username", ""))[:150]
    audit.record_event(action="auth.login", target=f"user:{typed}", outcome=audit.FAILED, username=typed,
                       origin=_origin(request), message="wrong user name or password")


@receiver(user_logged_out, dispatch_uid="lwp-audit-logout")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record_event(action="auth.logout", target=f"user:{user.get_username()}", user=user,
                           origin=_origin(request))


@receiver(post_save, sender=LogEntry, dispatch_uid="lwp-audit-admin")
def _admin_change(sender, instance, created, **kwargs):
    """Every change made in the admin (Django writes a LogEntry for each)."""
    if not created:
        return
    model = instance.content_type.model if instance.content_type_id else "object"
    audit.record_event(action=_ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
                       target=f"{model}:{instance.object_repr}"[:200], user=instance.user,
                       origin=Origin(source="admin"), message=instance.get_change_message())
