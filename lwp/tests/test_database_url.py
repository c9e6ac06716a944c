"""DATABASE_URL as lwp.settings reads it, and as the test servers are given it back."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lwp.settings import database_from_url
from testing.playground import database_url


def test_a_postgres_url_over_tcp_names_every_part():
    database = database_from_url("postgres://lwp:p%40ss%3Aword@db.example:5433/panel")
    assert (database["ENGINE"], database["NAME"], database["USER"], database["PASSWORD"]) == (
        "django.db.backends.postgresql", "panel", "lwp", "p@ss:word")
    assert (database["HOST"], database["PORT"]) == ("db.example", "5433")


def test_a_postgres_url_without_host_means_the_default_socket_and_the_os_user():
    database = database_from_url("postgresql:///lwp")
    assert (database["NAME"], database["USER"], database["HOST"], database["PORT"]) == ("lwp", "", "", "")


def test_the_host_parameter_names_a_socket_dir_keeping_its_case():
    database = database_from_url("postgres://lwp@/lwp?host=/var/tmp/lwp-postgres.AbC123")
    assert (database["USER"], database["HOST"]) == ("lwp", "/var/tmp/lwp-postgres.AbC123")


def test_a_parameter_it_would_ignore_is_refused():
    with pytest.raises(ImproperlyConfigured, match="only the `host` parameter"):
        database_from_url("postgres://lwp@db.example/lwp?sslmode=require")


@pytest.mark.parametrize("url", [
    "sqlite:///var/tmp/run/test.sqlite3",
    "postgres://lwp@/test_lwp?host=%2Fvar%2Ftmp%2Flwp-postgres.AbC123",
    "postgres://lwp:p%40ss%2Fw@127.0.0.1:5433/test_lwp",
    "postgres://@/test_lwp",
])
def test_a_live_server_is_given_back_the_database_the_tests_use(url):
    database = database_from_url(url)
    assert database_url(database) == url
    assert database_from_url(database_url(database)) == database
