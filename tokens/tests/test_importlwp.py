"""manage.py importlwp: LXC-Web-Panel's users, passwords and API tokens keep working here."""

import hashlib
import io
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client

from operations.models import Event, Source
from testing.playground import unique_name
from tokens.models import Token

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
# LXC-Web-Panel's own schema, as it creates it.
SCHEMA = """
CREATE TABLE users (id integer primary key autoincrement, name string,
                    username string not null, password string not null, su string);
CREATE TABLE api_tokens(username varchar(20), description varchar(30), token varchar(50) not null);
"""
SHORT_TOKEN = "k3x9q"  # as its token page made them
LONG_TOKEN = "b" * 16 + "0123456789abcdef"
ORPHAN_TOKEN = "from-an-older-version-7"  # no owner: older versions had none


def sha512(password):
    return hashlib.sha512(password.encode()).hexdigest()


ADA = ("Ada Admin", "ada", sha512("ada-old-pw"), "Yes")
NILS = ("Nils", "nils", sha512("nils-old-pw"), "No")
TOKENS = [("nils", "nils script", SHORT_TOKEN), ("ada", "ada backups", LONG_TOKEN), (None, "cron", ORPHAN_TOKEN)]


def lwp_database(path, users=(ADA, NILS), tokens=TOKENS):
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    connection.executemany("INSERT INTO users (name, username, password, su) VALUES (?, ?, ?, ?)", users)
    connection.executemany("INSERT INTO api_tokens VALUES (?, ?, ?)", tokens)
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def lwp_db(tmp_path):
    return lwp_database(tmp_path / "lwp.db")


def importlwp(*args):
    out = io.StringIO()
    call_command("importlwp", *map(str, args), stdout=out)
    return out.getvalue()


def counts():
    return get_user_model().objects.count(), Token.objects.count(), Event.objects.count()


def sign_in(username, password):
    """Through the sign-in form, as a browser does; the client, signed in or not."""
    browser = Client()
    response = browser.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302 and response["Location"] == "/", (username, response.status_code)
    return browser


def containers_with(token):
    """GET /api/v1/containers with the token in the header and in the query string."""
    header = Client().get("/api/v1/containers", headers={"private-token": token})
    query = Client().get("/api/v1/containers", {"private_token": token})
    return header.status_code, query.status_code


def test_old_passwords_sign_in_and_are_rehashed_and_old_tokens_call_the_api(lwp_db, fake_engine, fake_container):
    fake_container("imp")
    out = importlwp(lwp_db)
    assert "Imported 2 users and 3 tokens (1 weak); skipped 0." in out
    User = get_user_model()
    ada, nils = User.objects.get(username="ada"), User.objects.get(username="nils")
    assert ada.is_superuser and ada.is_staff and ada.first_name == "Ada Admin"
    assert not nils.is_superuser and list(nils.groups.values_list("name", flat=True)) == ["operators"]
    assert nils.password.startswith("lwp_sha512$$")

    for user, password in ((ada, "ada-old-pw"), (nils, "nils-old-pw")):
        browser = sign_in(user.username, password)
        assert browser.get("/tokens/").status_code == 200  # signed in
        user.refresh_from_db()
        assert user.password.startswith(get_hasher("default").algorithm + "$")  # upgraded at that sign-in
        assert user.check_password(password)
    assert Client().post("/login/", {"username": "nils", "password": "wrong"}).status_code == 200

    for raw in (SHORT_TOKEN, LONG_TOKEN, ORPHAN_TOKEN):
        assert containers_with(raw) == (200, 200), raw
    assert Token.find(SHORT_TOKEN).user == nils and Token.find(SHORT_TOKEN).weak
    assert Token.find(LONG_TOKEN).user == ada and not Token.find(LONG_TOKEN).weak
    orphan = Token.find(ORPHAN_TOKEN)
    assert orphan.user == ada and orphan.description == "cron"  # the first superuser
    assert containers_with("k3x9r") == (401, 401)


def test_imported_tokens_read_real_containers(lwp_db, backend):
    name = unique_name("imp")
    backend.create(name, template="busybox")
    try:
        importlwp(lwp_db)
        listed = Client().get("/api/v1/containers", headers={"private-token": SHORT_TOKEN})
        assert {"container": name, "state": "stopped"} in listed.json()
        one = Client().get(f"/api/v1/containers/{name}", {"private_token": ORPHAN_TOKEN})
        assert one.status_code == 200 and one.json()["name"] == name
    finally:
        backend.destroy(name, force=True)


def test_every_imported_user_and_token_is_an_audit_event_of_the_command_line(lwp_db):
    importlwp(lwp_db)
    created = Event.objects.filter(action="user.create").order_by("pk")
    assert [(e.target, e.source, e.message) for e in created] == [
        ("user:ada", Source.CLI, "a superuser, imported from LXC-Web-Panel"),
        ("user:nils", Source.CLI, "in operators, imported from LXC-Web-Panel")]
    tokens = Event.objects.filter(action="token.create").order_by("pk")
    assert [e.message for e in tokens] == ["for nils, weak, imported from LXC-Web-Panel",
                                           "for ada, imported from LXC-Web-Panel",
                                           "for ada, imported from LXC-Web-Panel"]
    assert all(e.source == Source.CLI for e in tokens)
    assert not any(secret in e.target + e.message for e in Event.objects.all()
                   for secret in (SHORT_TOKEN, LONG_TOKEN, ORPHAN_TOKEN, sha512("ada-old-pw")))


def test_dry_run_reports_the_same_and_writes_nothing(lwp_db):
    before = counts()
    out = importlwp(lwp_db, "--dry-run")
    assert "Would import 2 users and 3 tokens (1 weak); skipped 0." in out
    assert "user 'ada'" in out and "Dry run: nothing was written." in out
    assert counts() == before


def test_running_twice_imports_nothing_twice(lwp_db):
    importlwp(lwp_db)
    Token.find(LONG_TOKEN).revoke()
    before = counts()
    out = importlwp(lwp_db)
    assert "Imported 0 users and 0 tokens (0 weak); skipped 5." in out
    assert "skipped user 'ada': a user 'ada' exists here: left alone" in out
    assert "skipped token 'ada backups': already here" in out
    assert counts() == before
    assert Token.find(LONG_TOKEN) is None  # a revoked token stays revoked


def test_existing_user_is_left_alone_and_its_tokens_go_to_it(lwp_db, django_user_model):
    mine = django_user_model.objects.create_user("Nils", password="my-own-pw")
    out = importlwp(lwp_db)
    assert "skipped user 'nils': a user 'Nils' exists here: left alone, password unchanged" in out
    mine.refresh_from_db()
    assert mine.check_password("my-own-pw") and not mine.check_password("nils-old-pw")
    assert not mine.is_superuser and not mine.groups.exists()
    assert Token.find(SHORT_TOKEN).user == mine


def test_bad_rows_are_skipped_with_their_reasons(tmp_path):
    users = [ADA, ("", "bad name!", sha512("x"), "No"), ("", "plain", "not-a-hash", "No"),
             ("", b"\xff", sha512("x"), "No"), ("Ada again", "ADA", sha512("y"), "Yes"), NILS,
             ("Numbers", "1234", sha512("z"), "No")]
    tokens = [("1234", "numbers", "numbers-token-1"), ("nils", "too short", "abc"),
              ("nils", "too long", "x" * 129), ("nils", "spaced", "has a space"),
              ("nils", "binary", b"\x00\x01binary-token"), ("ghost", "ghost's", "token-of-a-ghost-1"),
              ("bad name!", "bad owner", "token-of-bad-owner-1"), ("ada", "first", "the-same-token-1"),
              ("nils", "again", "the-same-token-1"), ("nils", "x" * 300, "long-description-1"),
              ("nils", "ok", "fine-token")]
    out = importlwp(lwp_database(tmp_path / "lwp.db", users, tokens))
    assert "Imported 3 users and 4 tokens (2 weak); skipped 11." in out
    for line in ("skipped user 'bad name!': not a user name here: Enter a valid username.",
                 "skipped user 'plain': its password is not an LXC-Web-Panel hash (128 hex digits)",
                 "skipped user (row 4): its user name is not text",
                 "skipped user 'ADA': a second row of that name (the first is imported)",
                 "skipped token 'too short': shorter than 4 characters",
                 "skipped token 'too long': longer than 128 characters",
                 "skipped token 'spaced': it holds spaces or characters other than printable ASCII",
                 "skipped token 'binary': the token is not text",
                 "skipped token \"ghost's\": its owner 'ghost' is not a user here",
                 "skipped token 'bad owner': its owner 'bad name!' is not a user here",
                 "skipped token 'again': the same token as an earlier row"):
        assert line in out, line
    assert Token.find("long-description-1").description == "x" * 200
    # "1234" in its users.username (NUMERIC affinity) is stored as an integer: imported as the name it was.
    assert Token.find("numbers-token-1").user.username == "1234"
    assert Token.find("fine-token").weak and Token.find("the-same-token-1").user.username == "ada"
    assert not any(secret in out for secret in ("the-same-token-1", "fine-token", "abc"))


def test_a_token_without_owner_needs_a_superuser(tmp_path):
    out = importlwp(lwp_database(tmp_path / "lwp.db", users=[NILS], tokens=[(None, "cron", ORPHAN_TOKEN),
                                                                           ("", "cron2", "another-orphan")]))
    assert out.count("it names no owner, and there is no superuser here to own it") == 2
    assert not Token.objects.exists()


def truncated(path):
    data = lwp_database(path, tokens=[("ada", f"token {n}", f"token-number-{n:04}" * 3) for n in range(300)]
                        ).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def overwritten(path):
    data = bytearray(lwp_database(path).read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # its header kept, every page garbage
    path.write_bytes(bytes(data))


def foreign(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id integer primary key, body text)")
    connection.close()


def without_a_column(path):
    connection = sqlite3.connect(path)
    connection.executescript("CREATE TABLE users (id integer primary key, name, username, password);"
                             "CREATE TABLE api_tokens (username, description, token);")
    connection.close()


REFUSED = {
    "empty": (lambda path: path.write_bytes(b""), "is empty"),
    "garbage": (lambda path: path.write_bytes(os.urandom(4096)), "is not an SQLite database"),
    "text": (lambda path: path.write_text("[global]\naddress = 0.0.0.0\n"), "is not an SQLite database"),
    "truncated": (truncated, "is damaged"),
    "overwritten": (overwritten, "is damaged"),
    "foreign": (foreign, "is not an LXC-Web-Panel database: no users table"),
    "without a column": (without_a_column, "its users table has no su"),
    "a directory": (lambda path: path.mkdir(), "cannot read it"),
    "missing": (lambda path: None, "cannot read it"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_file_that_is_not_its_database_is_refused_and_nothing_imported(tmp_path, kind):
    make, message = REFUSED[kind]
    path = tmp_path / "lwp.db"
    make(path)
    before = counts()
    with pytest.raises(CommandError, match=message) as refused:
        importlwp(path)
    assert str(refused.value).endswith("Nothing was imported.")
    assert counts() == before


def test_its_database_is_opened_read_only(lwp_db):
    lwp_db.chmod(0o444)
    unchanged = lwp_db.read_bytes()
    importlwp(lwp_db)
    assert lwp_db.read_bytes() == unchanged and sorted(os.listdir(lwp_db.parent)) == ["lwp.db"]


def test_refusal_is_a_nonzero_exit_of_the_real_command(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")
    result = subprocess.run([str(REPO / ".venv/bin/python"), "manage.py", "importlwp", str(tmp_path / "empty.db")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "is empty" in result.stderr and "Nothing was imported." in result.stderr


LWP_CONF = """\
# This is the config file for your lwp system
[global]
address = 0.0.0.0
port = 5000
debug = False
ssl = True
pkey = /etc/lwp/my.key
cert = /etc/lwp/my.cert
auth = database
prefix = /lwp
lxcpath = /srv/lxc

[database]
file = /var/lwp/lwp.db

[session]
time = 10

[ldap]
host = ldap.example
password = the-ldap-bind-secret
"""


def test_conf_settings_with_an_equivalent_are_reported_and_nothing_changed(lwp_db, tmp_path, settings):
    conf = tmp_path / "lwp.conf"
    conf.write_text(LWP_CONF)
    out = importlwp(lwp_db, "--conf", conf)
    for line in ("[global] address, [global] port: LWP_BIND=0.0.0.0:5000 (beyond loopback LWP speaks HTTPS",
                 "[global] ssl: LWP_TLS=on", "[global] cert: LWP_TLS_CERT=/etc/lwp/my.cert",
                 "[global] pkey: LWP_TLS_KEY=/etc/lwp/my.key", "[global] debug: LWP_DEBUG=false",
                 "[global] lxcpath: LWP_LXC_PATH=/srv/lxc",
                 "[database] file: the file to import: manage.py importlwp /var/lwp/lwp.db",
                 "no equivalent: [global] prefix, [session] time, [ldap] host, [ldap] password"):
        assert line in out, line
    assert "the-ldap-bind-secret" not in out
    assert settings.LWP_BIND != "0.0.0.0:5000" and os.environ.get("LWP_BIND") != "0.0.0.0:5000"


def test_conf_that_is_not_an_ini_file_is_refused_before_anything_is_imported(lwp_db, tmp_path):
    conf = tmp_path / "lwp.conf"
    conf.write_text("address = 0.0.0.0\n")
    before = counts()
    with pytest.raises(CommandError, match="is not an lwp.conf"):
        importlwp(lwp_db, "--conf", conf)
    assert counts() == before


def test_weak_tokens_are_marked_on_the_tokens_page_and_in_the_admin(lwp_db, client):
    importlwp(lwp_db)
    User = get_user_model()
    client.force_login(User.objects.get(username="nils"))
    page = client.get("/tokens/").content.decode()
    assert '<span class="badge badge-bad"' in page and "Replace it: create a new token" in page
    client.force_login(User.objects.get(username="ada"))
    assert "Replace it" not in client.get("/tokens/").content.decode()  # ada's tokens are strong
    changelist = client.get("/admin/tokens/token/").content.decode()
    assert changelist.count("weak: replace it") == 1
    weak = Token.find(SHORT_TOKEN)
    assert "Replace it: create a new token" in client.get(f"/admin/tokens/token/{weak.pk}/change/").content.decode()
    assert Group.objects.get(name="operators").user_set.get().username == "nils"
