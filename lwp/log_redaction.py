"""A logging filter that keeps API tokens out of Django's logs.

A token can ride in a query string (?private_token=...) or in the path of a
revocation (DELETE /api/v1/tokens/<token>); neither ever reaches a log in clear.
"""

import logging
import re

_PATTERNS = [
    # The parameter name may come percent-encoded (private%5Ftoken, which Django decodes and
    # accepts), and the whole pair may sit encoded inside another URL (/login/?next=...%3D...).
    (re.compile(r"(private(?:[_-]|%5f|%2d)token(?:=|%3d))(?:(?!%26)[^&\s\"'])*", re.IGNORECASE),
     r"\1[redacted]"),
    # A revoked token may hold quotes or (decoded in Django's own log lines) a "?".
    (re.compile(r"(/api/v1/tokens/)\S+"), r"\1[redacted]"),
]


def redact(text):
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
