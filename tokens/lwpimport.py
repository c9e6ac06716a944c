"""Moving from LXC-Web-Panel: its users (passwords kept) and API tokens, from its SQLite database.

Its file is opened read-only (SQLite's `mode=ro`) and never written. A file that is not its
database, or is damaged, is refused whole (InvalidInput) before anything is imported; then every
row is checked, and a bad one is skipped and reported, never a crash. Everything is imported in
one transaction, each user and token with its audit event (source: the command line).

Here, in the tokens app, beside the hasher its passwords need: this app holds the credentials.
"""

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from lwp.exceptions import InvalidInput
from operations import audit
from operations.origin import CLI
from tokens import services
from tokens.hashers import LWPSHA512PasswordHasher
from tokens.models import TOKEN_FLOOR, TOKEN_MAX_LENGTH, Token, is_valid_token_text, token_digest

SQLITE_MAGIC = b"SQLite format 3\x00"
# The columns read from its two tables (as every LXC-Web-Panel since tokens has them).
COLUMNS = {"users": ("name", "username", "password", "su"),
           "api_tokens": ("username", "description", "token")}
SUPERUSER = "Yes"  # its `su` column
MEMBERS_GROUP = "operators"  # where its other users go: they started, stopped and edited containers
SHA512_HEX = re.compile(r"[0-9a-fA-F]{128}")
NOTE = ", imported from LXC-Web-Panel"


@dataclass
class Report:
    """What an import did (or, in a dry run, would do); never holds a password or a token."""

    users: list = field(default_factory=list)  # user names imported
    tokens: list = field(default_factory=list)  # imported tokens, as the report names them
    weak: int = 0
    skipped: list = field(default_factory=list)  # (what, why)

    def skip(self, what, why):
        self.skipped.append((what, why))


def import_database(path, *, dry_run=False):
    """Import LXC-Web-Panel's users and tokens from the database at `path`; returns a Report.
    A dry run does all of it in a transaction that is then rolled back: the same report, nothing kept."""
    users, tokens = read_database(path)
    with transaction.atomic():
        report = Report()
        _import_users(users, report)
        _import_tokens(tokens, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


# ----- reading its file -----

def read_database(path):
    """Its users and api_tokens rows, each a dict of COLUMNS; InvalidInput for any other file."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    if not head:
        raise InvalidInput(f"{path} is empty: not an LXC-Web-Panel database")
    if head != SQLITE_MAGIC:
        raise InvalidInput(f"{path} is not an SQLite database, so not LXC-Web-Panel's")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            # Text that is not UTF-8 becomes U+FFFD, which the row checks then refuse (or keep, in a description).
            connection.text_factory = lambda raw: raw.decode("utf-8", "replace")
            return _read_tables(connection, path)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path} is damaged ({exc}): nothing imported") from None


def _read_tables(connection, path):
    problem = connection.execute("PRAGMA quick_check").fetchone()[0]
    if problem != "ok":
        raise InvalidInput(f"{path} is damaged ({problem}): nothing imported")
    rows = {}
    for table, columns in COLUMNS.items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}  # a name of ours
        missing = [column for column in columns if column not in present]
        if missing:
            what = f"no {table} table" if not present else f"its {table} table has no {', '.join(missing)}"
            raise InvalidInput(f"{path} is not an LXC-Web-Panel database: {what}")
        cursor = connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
        rows[table] = [dict(zip(columns, row, strict=True)) for row in cursor]
    return rows["users"], rows["api_tokens"]


def _plain_text(value, limit):
    """A name or description as text we store: printable characters only, cut at `limit`."""
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isprintable()).strip()[:limit]


def _label(kind, number, name):
    """How the report names a row: by its name when it has a printable one, else by its place."""
    shown = _plain_text(name, 60)
    return f"{kind} {shown!r}" if shown else f"{kind} (row {number})"


# ----- users -----

def _username(value):
    """Its `users.username` as text. The column's type, `string`, gives it NUMERIC affinity: SQLite
    stored a name such as "1234" as the integer 1234."""
    return str(value) if isinstance(value, int) else value


def _import_users(rows, report):
    User = get_user_model()
    members = Group.objects.filter(name=MEMBERS_GROUP).first()
    if members is None:
        raise InvalidInput(f"the {MEMBERS_GROUP!r} group is missing here (manage.py migrate makes it)")
    seen = set()
    for number, row in enumerate(rows, 1):
        row = {**row, "username": _username(row["username"])}
        label = _label("user", number, row["username"])
        problem = _user_problem(row, seen)
        if problem:
            report.skip(label, problem)
            continue
        username = row["username"]
        seen.add(username.lower())
        superuser = row["su"] == SUPERUSER
        user = User(username=username, first_name=_plain_text(row["name"], 150),
                    is_superuser=superuser, is_staff=superuser,
                    password=LWPSHA512PasswordHasher().from_hex(row["password"]))
        user.save()
        if not superuser:
            user.groups.add(members)
        audit.record_event(action="user.create", target=f"user:{username}", origin=CLI,
                           message=("a superuser" if superuser else f"in {MEMBERS_GROUP}") + NOTE)
        report.users.append(username)


def _user_problem(row, seen):
    """Why this row of its users table is not imported, or None."""
    User = get_user_model()
    username = row["username"]
    if not isinstance(username, str):
        return "its user name is not text"
    try:
        User._meta.get_field(User.USERNAME_FIELD).clean(username, None)
    except ValidationError as exc:
        return "not a user name here: " + " ".join(exc.messages)
    if not isinstance(row["password"], str) or not SHA512_HEX.fullmatch(row["password"]):
        return "its password is not an LXC-Web-Panel hash (128 hex digits)"
    if username.lower() in seen:
        return "a second row of that name (the first is imported)"
    existing = User.objects.filter(username__iexact=username).first()
    if existing is not None:
        return (f"a user {existing.get_username()!r} exists here: left alone, password unchanged "
                "(the tokens of this name go to it)")
    return None


# ----- tokens -----

def _import_tokens(rows, report):
    User = get_user_model()
    # The first superuser, by id, once its users are in: who owns the tokens that name nobody.
    default_owner = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    seen = set()
    description_limit = Token._meta.get_field("description").max_length
    for number, row in enumerate(rows, 1):
        description = _plain_text(row["description"], description_limit)
        label = _label("token", number, description)
        problem = _token_text_problem(row["token"])
        if problem:
            report.skip(label, problem)
            continue
        digest = token_digest(row["token"])
        owner, problem = _token_owner(row["username"], default_owner)
        if digest in seen:
            problem = "the same token as an earlier row"
        elif Token.objects.filter(digest=digest).exists():
            problem = "already here (imported before, or the same token made here; a revoked one stays revoked)"
        if problem:
            report.skip(label, problem)
            continue
        seen.add(digest)
        token, _ = services.issue_token(user=owner, raw_token=row["token"], description=description,
                                        by=AnonymousUser(), origin=CLI, note=NOTE)
        report.weak += token.weak
        report.tokens.append(f"{label} of {owner.get_username()!r}" + (", weak" if token.weak else ""))


def _token_text_problem(raw_token):
    if not isinstance(raw_token, str):
        return "the token is not text"
    if len(raw_token) < TOKEN_FLOOR:
        return f"shorter than {TOKEN_FLOOR} characters: a guess away; give its script a new token"
    if len(raw_token) > TOKEN_MAX_LENGTH:
        return f"longer than {TOKEN_MAX_LENGTH} characters"
    if not is_valid_token_text(raw_token):
        return "it holds spaces or characters other than printable ASCII"
    return None


def _token_owner(username, default_owner):
    """(owner, None), or (None, why not): its user here, or the first superuser when it names none."""
    if username is None or (isinstance(username, str) and not username.strip()):
        if default_owner is None:
            return None, "it names no owner, and there is no superuser here to own it"
        return default_owner, None
    owner = _user_named(username) if isinstance(username, str) else None
    if owner is None:
        return None, f"its owner {_plain_text(username, 60)!r} is not a user here (skipped, or not in the file)"
    return owner, None


def _user_named(username):
    """The user of this name; else the one whose name differs only in case (as the users were matched)."""
    users = get_user_model().objects
    exact = users.filter(username=username).first()
    if exact is not None:
        return exact
    alike = list(users.filter(username__iexact=username)[:2])
    return alike[0] if len(alike) == 1 else None
