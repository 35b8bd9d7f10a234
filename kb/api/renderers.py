"""JSON rendering with orjson: the lookup's answer is some 90 kB, and encoding it is a measurable share of a
request that the response cache does not answer (see bench/)."""

from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer


def _default(value: object) -> str:
    if isinstance(value, Promise | Decimal):  # lazy translations, decimals
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def html_safe(encoded: bytes) -> bytes:
    """Escapes <, > and & as JSON unicode escapes: text a client sent and an error echoes back can never be read as
    markup, even by a browser that sniffs the content type."""
    return encoded.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def dumps(data) -> bytes:
    return html_safe(orjson.dumps(data, default=_default))


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)
