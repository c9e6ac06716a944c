"""The create page: templates of this host, the API's validation, errors beside the fields."""

import pytest

from containers.models import Container
from operations.models import Operation

pytestmark = pytest.mark.django_db

CREATE = "/containers/new/"


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get(CREATE)["Location"].startswith("/login/")


def test_user_without_add_permission_gets_403(client, users):
    client.force_login(users.dave)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, {"name": "x1", "template": "busybox", "store": "dir"}).status_code == 403


def test_page_offers_this_hosts_templates_and_stores(client, users):
    client.force_login(users.erin)
    response = client.get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert "busybox" in dict(form.fields["template"].choices)
    assert "dir" in dict(form.fields["store"].choices)
    assert b'id="working"' in response.content


def test_create_records_who_made_it_and_opens_its_page(client, users, backend):
    name = "cr-" + users.erin.username + "-1"
    client.force_login(users.erin)
    try:
        response = client.post(CREATE, {"name": name, "template": "busybox", "store": "dir",
                                         "description": "made in a test"})
        creating = Operation.objects.get(kind="create", container=name)
        assert response["Location"] == f"/operations/{creating.pk}/"  # its live log, not a waiting request
        page = client.get(response["Location"]).content.decode()
        assert 'data-status="succeeded"' in page and f'href="/containers/{name}/">Go to {name}</a>' in page
        assert backend.exists(name)
        assert Container.objects.get(name=name).created_by == users.erin
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)


def test_bad_name_and_unknown_template_show_beside_their_fields(client, users):
    client.force_login(users.erin)
    response = client.post(CREATE, {"name": "bad name!", "template": "nope", "store": "dir"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "template" in errors  # not one of this host's templates


def test_service_errors_are_mapped_onto_the_form(client, users, fake_container):
    taken = fake_container("taken")
    client.force_login(users.erin)
    response = client.post(CREATE, {"name": taken, "template": "busybox", "store": "dir"})
    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].non_field_errors())
    response = client.post(CREATE, {"name": "bad name!", "template": "busybox", "store": "dir"})
    assert "name" in response.context["form"].errors


def test_template_arguments_are_split_like_a_shell_and_checked(client, users):
    client.force_login(users.erin)
    response = client.post(CREATE, {"name": "args1", "template": "busybox", "store": "dir",
                                     "extra_args": "--path /tmp/elsewhere"})
    assert response.status_code == 400
    assert "extra_args" in response.context["form"].errors
    response = client.post(CREATE, {"name": "args2", "template": "busybox", "store": "dir",
                                     "extra_args": "'unclosed"})
    assert "cannot split" in str(response.context["form"].errors["extra_args"])
