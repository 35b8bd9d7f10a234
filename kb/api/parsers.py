"""Request bodies of the write API: JSON, parsed with a bound on its nesting.

Python's json module recurses once per level: a body of a hundred thousand `[` is a RecursionError, a 500. orjson
parses in C with a fixed limit of its own (1024 levels, refused as malformed), and the API then refuses anything
nested deeper than its bodies ever are. The size of a body is bounded before it is read (kb/api/guards.py).
"""

import orjson
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

# The deepest body the API takes is a procedure's: the object, its list of steps, each step, three levels.
MAX_JSON_DEPTH = 8


def depth(value) -> int:
    """How deeply `value` nests objects and arrays (a scalar is 0), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in item)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        raw = stream.read()
        try:
            data = orjson.loads(raw.decode(encoding))
        except (orjson.JSONDecodeError, UnicodeDecodeError) as error:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": error}) from None
        if depth(data) > MAX_JSON_DEPTH:
            raise ParseError(
                _("The body nests objects and arrays more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
            )
        return data
