"""LXC-Web-Panel's password hashes: checked, never made, and replaced at the first good sign-in."""

import hashlib

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher

from tokens.hashers import LWPSHA512PasswordHasher

OLD = LWPSHA512PasswordHasher().from_hex(hashlib.sha512("s3cret-é".encode()).hexdigest())


def test_its_hash_is_recognised_and_checks_the_password():
    assert isinstance(identify_hasher(OLD), LWPSHA512PasswordHasher)
    assert check_password("s3cret-é", OLD)
    assert not check_password("s3cret-e", OLD)
    in_capitals = LWPSHA512PasswordHasher().from_hex(hashlib.sha512("s3cret-é".encode()).hexdigest().upper())
    assert in_capitals == OLD and check_password("s3cret-é", in_capitals)


def test_a_good_password_is_rehashed_with_the_default_hasher():
    rehashed = []
    assert check_password("s3cret-é", OLD, setter=rehashed.append)
    assert rehashed == ["s3cret-é"]
    assert not check_password("wrong", OLD, setter=rehashed.append) and rehashed == ["s3cret-é"]


def test_it_comes_after_djangos_own_so_it_never_makes_a_new_hash():
    for hashers in (settings.PASSWORD_HASHERS, __import__("lwp.settings").settings.PASSWORD_HASHERS):
        assert hashers[-1] == "tokens.hashers.LWPSHA512PasswordHasher" and len(hashers) > 1
    assert get_hasher("default").algorithm != "lwp_sha512"


def test_its_stored_form_fits_djangos_password_column():
    """The column is 128 characters (PostgreSQL enforces it): 12 of the name and 88 of base64."""
    assert len(OLD) == 100 <= get_user_model()._meta.get_field("password").max_length
    assert OLD.startswith("lwp_sha512$$")


def test_its_summary_masks_the_hash_and_it_takes_no_salt():
    summary = LWPSHA512PasswordHasher().safe_summary(OLD)
    assert summary["algorithm"] == "lwp_sha512" and OLD[12:30] not in summary["hash"]
    with pytest.raises(ValueError):
        LWPSHA512PasswordHasher().encode("pw", "salt")
