"""Sign-in, sign-out, password change; every page but sign-in needs a signed-in user."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/", "/dashboard/table/", "/containers/new/", "/containers/web/", "/host/", "/tokens/",
         "/password_change/"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_but_sign_in_needs_a_signed_in_user(client, page):
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_sign_in_page_has_labelled_fields(client):
    page = client.get("/login/").content.decode()
    assert '<label for="id_username">' in page and '<label for="id_password">' in page
    assert "csrfmiddlewaretoken" in page


def test_sign_in_goes_to_a_same_site_next(client, users):
    response = client.post("/login/", {"username": "bob", "password": "pw-bob", "next": "/host/"})
    assert response["Location"] == "/host/"


def test_sign_in_never_goes_to_another_site(client, users):
    response = client.post("/login/", {"username": "bob", "password": "pw-bob",
                                       "next": "https://evil.example/steal"})
    assert response["Location"] == "/"


def test_wrong_password_is_refused_on_the_page(client, users):
    response = client.post("/login/", {"username": "bob", "password": "nope"})
    assert response.status_code == 200 and b"form-errors" in response.content


def test_sign_out_is_a_post(client, users):
    client.force_login(users.bob)
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert client.get("/")["Location"].startswith("/login/")


def test_password_change(client, users):
    client.force_login(users.bob)
    response = client.post("/password_change/", {"old_password": "pw-bob", "new_password1": "a-Long-new-pw-42",
                                                 "new_password2": "a-Long-new-pw-42"})
    assert response["Location"] == "/password_change/done/"
    users.bob.refresh_from_db()
    assert users.bob.check_password("a-Long-new-pw-42")


def test_static_files_are_served_by_the_app(client):
    for path in ("/static/lwp.css", "/static/lwp.js", "/static/vendor/htmx/htmx.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path
