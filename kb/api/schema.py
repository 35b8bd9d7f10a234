"""OpenAPI generation: every operation documents the error responses it can give, in problem+json."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .problems import PROBLEM_CONTENT_TYPE, ProblemSerializer


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        ref = self.resolve_serializer(ProblemSerializer, "response").ref
        errors = {
            "400": "A parameter is malformed or unknown; `errors` names it.",
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
