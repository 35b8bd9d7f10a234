"""OpenAPI generation: every operation documents the error responses it can give, in problem+json."""

from django.db import DatabaseError
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .problems import PROBLEM_CONTENT_TYPE, ProblemSerializer


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ref = self.resolve_serializer(ProblemSerializer, "response").ref
        errors = {
            "400": "A parameter is malformed, unknown, empty or repeated (`errors` names it), or the query string is "
            "longer than 4096 bytes.",
            "404": "Nothing is published at this address.",
            "406": "The Accept header asks for something other than JSON.",
            "429": "Too many requests; the Retry-After header says when to try again.",
        }
        if self._is_detail():
            errors["410"] = "The content was archived; `successor` points to its replacement, if any."
        for status, description in errors.items():
            responses.setdefault(
                status, {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}}}
            )
        return responses

    def _is_detail(self) -> bool:
        return getattr(self.view, "action", None) == "retrieve"


# Free text, which may be empty; every other query parameter refuses an empty value (kb.api.filters.refuse_empty).
MAY_BE_EMPTY = {"search"}


def describe_query_values(result, generator, request, public):
    """Postprocessing hook: says in the schema what the API refuses, so that a client (or a fuzzer) can tell a value
    the API accepts from one it answers with a 400: empty values, and card-type slugs that are not published (listed,
    from the database, as the schema is served)."""
    from passwords.models import CardType

    try:
        slugs = list(CardType.objects.published().order_by("slug").values_list("slug", flat=True))
    except DatabaseError:
        # Generated offline (manage.py spectacular without a database): slugs stay a free string.
        slugs = None
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and schema.get("type") == "array":
                    schema.setdefault("minItems", 1)
                if parameter["in"] != "query" or parameter["name"] in MAY_BE_EMPTY or schema.get("type") != "string":
                    continue
                if parameter["name"] == "card_type" and slugs is not None:
                    parameter["schema"] = schema = {
                        "type": "string",
                        "enum": slugs,
                        "description": "The slug of a published card type (see /api/v1/card-types/).",
                    }
                schema.setdefault("minLength", 1)
    return result
