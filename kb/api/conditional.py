"""Last-Modified for API responses, from the content revision; ConditionalGetMiddleware adds the ETag and 304s."""

from django.utils.http import http_date

from sources.revisions import current_revision


class ContentLastModifiedMiddleware:
    """Every successful GET under /api/ carries Last-Modified: the time content last changed anywhere.

    Answers can combine rows of many tables (the lookup walks regions, rules, procedures, ...), so the one
    revision that every change bumps is the only Last-Modified that is never too old.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method in ("GET", "HEAD")
            and request.path.startswith("/api/")
            and response.status_code == 200
            and not response.has_header("Last-Modified")
        ):
            response["Last-Modified"] = http_date(current_revision().changed_at.timestamp())
        return response
