"""The methods that the read-only views outside DRF answer (the probes, the widget, its loader, oEmbed): HEAD as GET
without the body, OPTIONS with the methods allowed, any other method a 405 that names them. DRF views do this
themselves."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kb.api.problems import json_problem_response

ALLOW = "GET, HEAD, OPTIONS"


def method_not_allowed_message() -> str:
    return _("This address answers GET, HEAD and OPTIONS only.")


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    return json_problem_response(request, 405, method_not_allowed_message(), "method_not_allowed")


def read_only(refuse: Callable[[HttpRequest], HttpResponse] = method_not_allowed):
    """Lets GET and HEAD through to the view and answers the rest; `refuse` writes the 405 (problem+json unless the
    view's own error pages are another shape), to which the `Allow` header is added."""

    def decorator(view):
        @wraps(view)
        def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                # The server leaves a HEAD answer's body out (gunicorn, runserver and the test client alike), keeping
                # the headers GET would send, Content-Length included.
                return view(request, *args, **kwargs)
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                del response["Content-Type"]
            else:
                response = refuse(request)
            response["Allow"] = ALLOW
            return response

        # These views change nothing, so CSRF protects nothing here; without the exemption CSRF's HTML 403 would
        # answer a POST before the 405 could.
        return csrf_exempt(answer)

    return decorator
