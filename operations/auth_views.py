"""Django's password change, plus its audit event: Django sends no signal for it.

The panel's /password_change/ (lwp/urls.py) and the admin's (operations.admin_site) both
use this view. A password set by a superuser in the admin's user page is an admin change
(operations.admin_site); one set on the command line, by `manage.py changepassword`
(operations/management/commands/changepassword.py).
"""

from django.contrib.auth import views as auth_views

from operations import audit
from operations.origin import origin_of


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record_event(action="auth.password_change", target=f"user:{form.user.get_username()}",
                           user=form.user, origin=origin_of(self.request))
        return response
