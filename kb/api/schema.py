"""OpenAPI generation: every operation documents the error responses it can give, in problem+json."""

import contextlib
from collections.abc import Callable, Collection

from django.db import DatabaseError
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer

from .filters import DATE_TIME_MAX_LENGTH, SLUG_MAX_LENGTH
from .problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

# Components that are either the public or the staff representation (see AutoSchema.get_response_serializers).
EITHER_SUFFIX = "OrStaff"
API_PREFIX = "/api/v1/"
# ASCII only: a server refuses other bytes in a header before the app sees them.
ASCII_HEADER = r"^[\x21-\x7e][\x20-\x7e]*$"

# The response headers operations name (AutoSchema._headers), once each under components.headers.
HEADERS = {
    "X-Request-ID": {
        "description": "The request's id in the server's logs: the client's own X-Request-ID when it is 8-64 "
        "letters, digits, dots, dashes or underscores, otherwise a new one. Quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    },
    "Cache-Control": {
        "description": "How long and by whom the answer may be kept: anonymous reads publicly for a while, answers to "
        "a token privately, writes, throttled answers and server errors not at all.",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "Names this answer: send it back in If-None-Match to get a 304 while it is current. For "
        'staff reads and writes of one item, "v<version>": send it in If-Match with the next change.',
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "When the published content last changed (an HTTP date), for If-Modified-Since.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ref = self.resolve_serializer(ProblemSerializer, "response").ref
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        staff_only = writes or self._staff_only_read()
        errors = {
            "400": "A field of the body is refused; `errors` names each one (`steps[1].ui_path` for a field of an "
            "item); or the body is not JSON, or nests deeper than 8 levels; or a query parameter was given (writes "
            "take none)."
            if writes
            else "A parameter is malformed, unknown, empty or repeated (`errors` names it), or the query string is "
            "longer than 4096 bytes.",
            "401": "No token was sent (staff only), or the token is not valid; WWW-Authenticate says which scheme "
            "to use (Token)."
            if staff_only
            else "The token sent is not valid (reads need none).",
            "404": "Nothing is published at this address." if not writes else "No content has this slug.",
            "406": "The Accept header asks for something other than JSON.",
            "429": "Too many requests; the Retry-After header says when to try again.",
            "503": "The database is unavailable; the Retry-After header says when to try again.",
        }
        if self._is_detail():
            errors["410"] = "The content was archived; `successor` points to its replacement, if any."
        if staff_only:
            errors["403"] = "The token's user lacks the permission (editors cannot publish, archive or revert)."
        if writes:
            errors["405"] = "The address does not take this method."
            errors["413"] = "The body is larger than the API takes (API_MAX_BODY_BYTES, by default 256 KiB)."
            errors["415"] = "The body is not application/json."
        if self._needs_precondition():
            errors["409"] = (
                "The workflow does not allow this now: published content is changed through its pending edit "
                "(edit_published, with `start_edit`), an invalid transition, a draft still in use."
            )
            errors["412"] = "If-Match names an older version; `changes` says who changed which fields since."
            errors["428"] = "If-Match is missing: send the ETag of your last GET of this content."
        for status, description in errors.items():
            responses.setdefault(
                status, {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}}}
            )
        if self._conditional():
            responses["304"] = {
                "description": "Not modified: If-None-Match names the current ETag, or nothing changed since "
                "If-Modified-Since. No body."
            }
        for status, response in responses.items():
            response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in self._headers(status)}
        return responses

    def _conditional(self) -> bool:
        """Anonymous reads are answered with 304 by kb's conditional GET (curation/api/caching.py)."""
        return self.method == "GET" and not self._staff_only_read()

    def _headers(self, status: str) -> list[str]:
        names = ["X-Request-ID", "Cache-Control"]
        if self.method == "GET" and status in ("200", "304"):
            names += ["ETag", "Last-Modified"]
        elif status in ("200", "201") and (self._needs_precondition() or self.method == "POST"):
            names.append("ETag")
        if status in ("429", "503"):
            names.append("Retry-After")
        return names

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        # A text filter's max_length is checked (a 400 beyond it) but django-filter's schema leaves it out.
        filters = getattr(getattr(self.view, "filterset_class", None), "base_filters", {})
        for parameter in parameters:
            max_length = getattr(filters.get(parameter["name"]), "extra", {}).get("max_length")
            if max_length is not None and parameter["schema"].get("type") == "string":
                parameter["schema"].setdefault("maxLength", max_length)
        return parameters

    def get_tags(self) -> list[str]:
        # By resource (`card-types`, `lookup`): generators group operations by tag.
        return [self.path.removeprefix(API_PREFIX).split("/", 1)[0]]

    def _staff_only_read(self) -> bool:
        return getattr(self.view, "action", None) in getattr(self.view, "staff_only_reads", ())

    def get_auth(self):
        auths = super().get_auth()
        # Reads of the content resources are open to all; the token only shows staff more.
        if self.method == "GET" and not self._staff_only_read() and {} not in auths:
            auths.append({})
        return auths

    def _is_detail(self) -> bool:
        return getattr(self.view, "action", None) == "retrieve"

    def _needs_precondition(self) -> bool:
        return getattr(self.view, "action", None) in getattr(self.view, "precondition_actions", ())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._conditional():
            # No pattern: a conditional GET reads what it can and ignores the rest (RFC 9110, 13.1), so no value of
            # these headers is refused, an empty or non-ASCII one included.
            parameters += [
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag of an earlier answer: while it is current, the answer is a 304 without "
                    "a body (anonymous reads).",
                ),
                OpenApiParameter(
                    "If-Modified-Since",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="An HTTP date (Last-Modified of an earlier answer): if nothing changed since, the "
                    "answer is a 304 without a body (anonymous reads; If-None-Match wins when both are sent).",
                ),
            ]
        if self._needs_precondition():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=True,
                    description='The ETag of the staff GET (or of the last write) it is based on: "v<version>".',
                    pattern=ASCII_HEADER,
                )
            )
        return parameters

    def get_response_serializers(self):
        # A content route's view is the staff viewset; its `public` viewset answers the reads of everyone else.
        public = getattr(self.view, "public", None)
        action = getattr(self.view, "action", None)
        if public is not None and action == "start_edit":
            return {200: self.view.serializer_class, 201: self.view.serializer_class}
        if public is not None and self.method == "GET" and action in ("list", "retrieve"):
            return PolymorphicProxySerializer(
                component_name=public.serializer_class.__name__.removesuffix("Serializer") + EITHER_SUFFIX,
                serializers=[public.serializer_class, self.view.serializer_class],
                resource_type_field_name=None,
                many=action == "list",
            )
        return super().get_response_serializers()


def response_headers(result, generator, request, public):
    """Postprocessing hook: the headers that AutoSchema._headers names, and where the API is served."""
    result.setdefault("components", {})["headers"] = HEADERS
    if request is not None:
        # The address the schema was read from: a client generated from it talks to the same server.
        result["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/"), "description": "This server"}]
    return result


def either_representation(result, generator, request, public):
    """A staff body may also fit the public shape (a source's fields are all public): "any of", not "one of"."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith(EITHER_SUFFIX) and "oneOf" in component:
            component["anyOf"] = component.pop("oneOf")
            component["description"] = (
                "The public representation; with a staff token, the staff representation (drafts included)."
            )
    return result


# Free text, which may be empty; every other query parameter refuses an empty value (kb.api.filters.refuse_empty).
MAY_BE_EMPTY = {"search"}


# Query parameters whose values are the slugs of published rows (card_type): name → (the values, their description).
# Apps register theirs from ready(); the schema lists them as an enum, read from the database as it is served.
PUBLISHED_VALUES: dict[str, tuple[Callable[[], list[str]], str]] = {}


def published_values(parameter: str, values: Callable[[], list[str]], description: str) -> None:
    PUBLISHED_VALUES[parameter] = (values, description)


# The longest value of a parameter whose pattern or format bounds it, and that the API refuses when longer: six-digit
# region codes, ISO dates, date-times (kb.api.filters.BoundedIsoDateTimeField) and slugs (ContentModel.slug).
REGION_CODE_PATTERN = "^[0-9]{6}$"
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"
FORMAT_MAX_LENGTHS = {"date": 10, "date-time": DATE_TIME_MAX_LENGTH}


def max_length(schema: dict) -> int | None:
    if "enum" in schema:
        return max((len(value) for value in schema["enum"]), default=0) or None
    if schema.get("pattern") == REGION_CODE_PATTERN:
        return 6
    if schema.get("pattern") == SLUG_PATTERN:
        return SLUG_MAX_LENGTH
    return FORMAT_MAX_LENGTHS.get(schema.get("format"))


def describe_query_values(result, generator, request, public):
    """Postprocessing hook: says in the schema what the API refuses, so that a client (or a fuzzer) can tell a value
    the API accepts from one it answers with a 400: empty values, and slugs that are not published (listed, from the
    database, as the schema is served)."""
    enums: dict[str, dict] = {}
    for name, (values, description) in PUBLISHED_VALUES.items():
        # Generated offline (manage.py spectacular without a database), the value stays a free string.
        with contextlib.suppress(DatabaseError):
            enums[name] = {"type": "string", "enum": values(), "description": description}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and schema.get("type") == "array":
                    schema.setdefault("minItems", 1)
                    if parameter["name"] == "ordering":
                        # Each field once, ascending or descending (kb.api.filters.FilterBackend refuses more).
                        schema.setdefault("maxItems", len(schema["items"]["enum"]) // 2)
                if schema.get("type") == "string" and "maxLength" not in schema:
                    longest = max_length(schema)
                    if longest is not None:
                        schema["maxLength"] = longest
                if parameter["in"] == "query" and parameter["name"] in MAY_BE_EMPTY and schema.get("type") == "string":
                    # Free text, but never a NUL character (refused with a 400 like every other parameter).
                    schema.setdefault("pattern", "^[^\u0000]*$")
                if parameter["in"] != "query" or parameter["name"] in MAY_BE_EMPTY or schema.get("type") != "string":
                    continue
                if parameter["name"] in enums:
                    parameter["schema"] = schema = dict(enums[parameter["name"]])
                    schema["maxLength"] = max_length(schema)
                schema.setdefault("minLength", 1)
    return result


# Components whose answers may leave fields out (the lookup's compact rows): name → the fields always sent. Apps
# register theirs from ready(); the others become optional in the schema.
ALWAYS_SENT: dict[str, Collection[str]] = {}


def always_sent(component: str, fields: Collection[str]) -> None:
    ALWAYS_SENT[component] = fields


def optional_beyond_always_sent(result, generator, request, public):
    """Postprocessing hook: only what is always sent is required, so that a generated client reads a compact
    answer and a full one alike."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in ALWAYS_SENT.items():
        if name in schemas:
            schemas[name]["required"] = [field for field in schemas[name].get("required", []) if field in fields]
    return result


def name_enums(result, generator, request, public):
    """Postprocessing hook: a query parameter's enumeration is titled with the name of the component that has the same
    values (the `kind` of procedures is a ProcedureKindEnum), so that generators reuse that class; other enumerations
    (ordering) lose the field's label as title, since two parameters may share a label (`kind` and `channel_kind` are
    both "Kind") and generators would then make two classes of one name."""
    components = {
        frozenset(component["enum"]): name
        for name, component in result.get("components", {}).get("schemas", {}).items()
        if "enum" in component
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                enum_schema = schema.get("items", schema)
                if "enum" not in enum_schema:
                    continue
                schema.pop("title", None)
                name = components.get(frozenset(enum_schema["enum"]))
                if name is not None:
                    enum_schema["title"] = name
    return result
