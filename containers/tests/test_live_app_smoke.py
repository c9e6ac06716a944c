import urllib.error
import urllib.request

import pytest


@pytest.mark.django_db(transaction=True)
def test_live_app_serves_admin_login(live_app):
    with urllib.request.urlopen(live_app.url + "/admin/login/", timeout=5) as response:
        assert response.status == 200
        assert b"csrfmiddlewaretoken" in response.read()
