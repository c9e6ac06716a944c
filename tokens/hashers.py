"""LXC-Web-Panel's password hashes, for the accounts `manage.py importlwp` brings over.

LXC-Web-Panel kept the hex SHA-512 of each password, unsalted. Listed after Django's own
hashers (settings.PASSWORD_HASHERS), so such a hash is only ever checked: must_update() makes
Django rehash the password with its default hasher at the first sign-in that gets it right.
"""

import base64
import hashlib

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _

class LWPSHA512PasswordHasher(BasePasswordHasher):
    """Stored as `lwp_sha512$$<base64>`: Django's `algorithm$salt$hash`, with no salt. Base64, not
    LXC-Web-Panel's hex: Django's password column holds 128 characters, which the algorithm's name
    and 128 hex digits would pass (PostgreSQL refuses that; SQLite does not check)."""

    algorithm = "lwp_sha512"

    def salt(self):
        return ""

    def encode(self, password, salt):
        if password is None or salt != "":
            raise ValueError("LXC-Web-Panel's hashes take a password and no salt")
        return self._stored(hashlib.sha512(password.encode()).digest())

    def from_hex(self, hex_digest):
        """The stored form of a hash read from LXC-Web-Panel's database (hex digits, either case)."""
        return self._stored(bytes.fromhex(hex_digest))

    def _stored(self, digest):
        return f"{self.algorithm}$${base64.b64encode(digest).decode('ascii')}"

    def decode(self, encoded):
        algorithm, salt, hash_ = encoded.split("$", 2)
        assert algorithm == self.algorithm and salt == ""
        return {"algorithm": algorithm, "hash": hash_, "salt": salt}

    def verify(self, password, encoded):
        return constant_time_compare(encoded, self.encode(password, ""))

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {_("algorithm"): decoded["algorithm"], _("hash"): mask_hash(decoded["hash"])}

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass
