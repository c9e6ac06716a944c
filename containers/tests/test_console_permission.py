"""containers.console_container: a console is root in the container, so administrators only."""

import pytest
from django.contrib.auth.models import Group

from containers.models import Container


@pytest.mark.django_db
def test_the_migration_gives_console_container_to_administrators_only():
    holders = set(Group.objects.filter(permissions__codename="console_container",
                                       permissions__content_type__app_label="containers")
                  .values_list("name", flat=True))
    assert holders == {"administrators"}


def test_console_container_is_a_permission_of_its_own():
    assert ("console_container", "Can open a console in a container") in Container._meta.permissions


@pytest.mark.django_db
def test_only_an_administrator_may_open_a_console(users):
    assert users.erin.has_perm("containers.console_container")  # administrators
    for user in (users.dave, users.bob, users.charlie):  # operators, viewers, no group
        assert not user.has_perm("containers.console_container")
