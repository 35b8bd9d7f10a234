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


STATUS_TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Unauthorized"),
    403: lambda: _("Forbidden"),
    404: lambda: _("Not found"),
    405: lambda: _("Method not allowed"),
    406: lambda: _("Not acceptable"),
    410: lambda: _("Gone"),
    414: lambda: _("URI too long"),
    415: lambda: _("Unsupported media type"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Internal server error"),
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


def flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turns DRF's nested error detail into a flat list of {parameter, detail}."""
    if isinstance(detail, dict):
        return [item for key, value in detail.items() for item in flatten(value, f"{prefix}{key}")]
    if isinstance(detail, list):
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
