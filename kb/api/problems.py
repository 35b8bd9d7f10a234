"""One JSON shape for every API error: RFC 9457 problem details, served as application/problem+json."""

from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .renderers import FastJSONRenderer, dumps

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Gone(exceptions.APIException):
    """Archived content: apps that cached it should drop it, and follow `successor` where there is one."""

    status_code = HTTPStatus.GONE
    default_code = "gone"

    def __init__(self, successor: str | None = None) -> None:
        super().__init__(detail=_("This content has been archived and is no longer published."))
        self.successor = successor


class ParameterErrorSerializer(serializers.Serializer):
    parameter = serializers.CharField(help_text="The query parameter (or body field) that was refused.")
    detail = serializers.CharField(help_text="Why it was refused, in the request's language.")


class VersionChangeSerializer(serializers.Serializer):
    """A save of the content since the version that If-Match named (in a 412 answer)."""

    version = serializers.IntegerField(help_text="The version this save produced.")
    changed_at = serializers.DateTimeField()
    changed_by = serializers.CharField(allow_null=True, help_text="The staff user's username; null for the scheduler.")
    fields = serializers.ListField(child=serializers.CharField(), help_text="The fields (and links, steps) it changed.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details. `code` is stable for programs; `title` and `detail` are for people."""

    type = serializers.CharField(help_text="Always about:blank: the status code says what kind of problem it is.")
    title = serializers.CharField(help_text="The HTTP status phrase, in the request's language.")
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The path that was requested.")
    code = serializers.CharField(help_text="A stable, machine-readable code such as invalid_parameter or not_found.")
    errors = ParameterErrorSerializer(many=True, required=False, help_text="Present for invalid_parameter only.")
    successor = serializers.URLField(
        required=False, allow_null=True, help_text="Present for gone only: where the replacement lives, if any."
    )
    start_edit = serializers.URLField(
        required=False, help_text="Present for edit_published only: POST here to get the pending edit to change."
    )
    current_version = serializers.IntegerField(
        required=False, help_text="Present for stale_version only: the version the content is at now."
    )
    based_on_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="Present for stale_version only: the version If-Match named."
    )
    changes = VersionChangeSerializer(
        many=True, required=False, help_text="Present for stale_version only: every save since that version."
    )


STATUS_TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Unauthorized"),
    403: lambda: _("Forbidden"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    406: lambda: _("Not acceptable"),
    409: lambda: _("Conflict"),
    410: lambda: _("Gone"),
    412: lambda: _("Precondition failed"),
    413: lambda: _("Content too large"),
    415: lambda: _("Unsupported media type"),
    428: lambda: _("Precondition required"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Internal server error"),
    501: lambda: _("Not implemented"),
    503: lambda: _("Service unavailable"),
}


def problem(status: int, *, detail: str, instance: str, code: str, **extra: Any) -> dict[str, Any]:
    title = STATUS_TITLES.get(status, lambda: HTTPStatus(status).phrase)()
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    return body | extra


def parameter_name(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turns DRF's nested error detail into a flat list of {parameter, detail}: `steps[1].ui_path` names a field of
    the second item of a list in a request body."""
    if isinstance(detail, dict):
        # DRF keys the errors of a list's items by their index.
        return [item for key, value in detail.items() for item in flatten(value, parameter_name(prefix, key))]
    if isinstance(detail, list):
        if any(isinstance(value, dict) for value in detail):
            return [item for index, value in enumerate(detail) for item in flatten(value, f"{prefix}[{index}]")]
        return [item for value in detail for item in flatten(value, prefix)]
    return [{"parameter": prefix or "non_field_errors", "detail": str(detail)}]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    request = context["request"]
    status = response.status_code
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        extra["errors"] = errors
        detail = "; ".join(f"{e['parameter']}: {e['detail']}" for e in errors)
        code = "invalid_parameter"
    else:
        detail = str(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = code if isinstance(code, str) else "error"
    if isinstance(exc, Gone):
        extra["successor"] = exc.successor
    # Errors that carry more for the client to act on (the write API's conflicts) say so in `extra`.
    extra |= getattr(exc, "extra", {})
    response.data = problem(status, detail=detail, instance=request.path, code=code, **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    # Errors are JSON whatever the view renders otherwise (the schema view speaks YAML).
    request.accepted_renderer = FastJSONRenderer()
    request.accepted_media_type = PROBLEM_CONTENT_TYPE
    return response


def json_problem_response(request, status: int, detail: str, code: str, **extra: Any) -> HttpResponse:
    """For errors raised outside DRF views (unknown URLs, server errors) on API paths."""
    return HttpResponse(
        dumps(problem(status, detail=detail, instance=request.path, code=code, **extra)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
