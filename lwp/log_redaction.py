"""Keeping API tokens out of the logs, whatever their spelling.

A token can ride in a query string (?private_token=..., ?priv%61te_token=..., double-encoded
forms, a Referer), or in the path of a revocation (DELETE /api/v1/tokens/<token>). Rather
than recognise every spelling of a parameter, the logs hold no query string at all: the
access log writes the path alone and no Referer, and any other line (gunicorn's own
warnings quote a refused request line; Django's quote a path or a Referer) has whatever
follows a "?" in a URL cut. A path is judged on its fully decoded form, so an encoded
"/tokens/" is cut too.
"""

import logging
import re
from urllib.parse import unquote

REDACTED = "[redacted]"
# Decoding rounds before giving up: each round peels one layer of percent-encoding.
MAX_DECODING_ROUNDS = 5
# Defence in depth for a pair seen outside a query string (a form body echoed in a message).
_TOKEN_PAIR = re.compile(r"(private(?:[_-]|%5f|%2d)token(?:=|%3d))(?:(?!%26)[^&\s\"'])*", re.IGNORECASE)
# A query string: a "?" that follows something (a path, a URL), up to the next blank.
_QUERY = re.compile(r"(?<=\S)\?\S+")
# Encoded "?" or "/" as they appear in a word that was not yet decoded.
_WORD = re.compile(r"\S+")
_TOKENS_PATH = re.compile(r"/tokens/", re.IGNORECASE)


def fully_decoded(text):
    """`text` with every layer of percent-encoding undone (%253F -> %3F -> ?)."""
    for _ in range(MAX_DECODING_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def safe_path(path):
    """A request path fit for a log: nothing after "/tokens/" and no query, judged decoded."""
    if not path:
        return path
    decoded = fully_decoded(path)
    match = _TOKENS_PATH.search(decoded)
    if match:
        return decoded[:match.end()] + REDACTED
    if "?" in decoded:  # an encoded "?" (%3F) hid a query string inside the path
        return decoded.split("?", 1)[0] + "?" + REDACTED
    return path


def _safe_word(match):
    word = match.group(0)
    decoded = fully_decoded(word)
    token_path = _TOKENS_PATH.search(decoded)
    if token_path:
        return decoded[:token_path.end()] + REDACTED
    if decoded != word and "?" in decoded:
        return decoded.split("?", 1)[0] + "?" + REDACTED
    return word


def redact(text):
    """A log line with no query string and no token path left in it."""
    text = _WORD.sub(_safe_word, text)
    text = _QUERY.sub("?" + REDACTED, text)
    return _TOKEN_PAIR.sub(r"\1" + REDACTED, text)


class RedactTokens(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
