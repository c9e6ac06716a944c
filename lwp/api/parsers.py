"""Request bodies: JSON whatever their label, a form when it plainly is one, never too large."""

import json

from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

# Nothing the API accepts comes near this; a larger body is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(raw):
    """A JSON object from request bytes, or ParseError saying why not."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise exceptions.ParseError("the request body is not valid UTF-8") from None
    except RecursionError:
        raise exceptions.ParseError("the request body is nested too deeply") from None
    except ValueError as exc:
        raise exceptions.ParseError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise exceptions.ParseError("the request body must be a JSON object")
    return data


def _looks_like_json(raw):
    return raw.lstrip()[:1] in (b"{", b"[", b'"')


class JsonOrFormParser(BaseParser):
    """A body is JSON whatever its Content-Type: `curl -d '{...}'` labels JSON as a form.

    A body that does not look like JSON and is labelled as a form (`-d action=start`)
    is read as the form it is.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise exceptions.ParseError(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        if not raw.strip():
            return {}
        is_form = (media_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
        if is_form and not _looks_like_json(raw):
            try:
                return QueryDict(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise exceptions.ParseError("the request body is not valid UTF-8") from None
            except TooManyFieldsSent:
                raise exceptions.ParseError("the request body has too many form fields") from None
        return parse_json_object(raw)
