"""A logging filter that keeps API tokens out of Django's logs.

A token can ride in a query string (?private_token=...) or in the path of a
revocation (DELETE /api/v1/tokens/<token>); neither ever reaches a log in clear.
"""

import logging
import re

_PATTERNS = [
    (re.compile(r"(private[_-]token=)[^&\s\"']*", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(/api/v1/tokens/)[^\s\"'?]+"), r"\1[redacted]"),
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
