"""LXC-Web-Panel's password hashes, for the accounts `manage.py importlwp` brings over.

LXC-Web-Panel kept the hex SHA-512 of each password, unsalted. Listed after Django's own
hashers (settings.PASSWORD_HASHERS), so such a hash is only ever checked: must_update() makes
Django rehash the password with its default hasher at the first sign-in that gets it right.
"""

import hashlib

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_noop as _

SHA512_HEX_LENGTH = 128


class LWPSHA512PasswordHasher(BasePasswordHasher):
    """Stored as `lwp_sha512$$<hex>`: Django's `algorithm$salt$hash`, with no salt."""

    algorithm = "lwp_sha512"

    def salt(self):
        return ""

    def encode(self, password, salt):
        if password is None or salt != "":
            raise ValueError("LXC-Web-Panel's hashes take a password and no salt")
        return self.from_hex(hashlib.sha512(password.encode()).hexdigest())

    def from_hex(self, hex_digest):
        """The stored form of a hash read from LXC-Web-Panel's database."""
        return f"{self.algorithm}$${hex_digest.lower()}"

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
