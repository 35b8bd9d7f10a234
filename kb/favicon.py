"""/favicon.ico: the icon browsers ask the site's root for by themselves, whatever the page links."""

from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control

from kb.methods import read_only

ICON = Path(__file__).resolve().parent / "static" / "kb" / "favicon.ico"


@cache
def icon_bytes() -> bytes:
    return ICON.read_bytes()


# A day: the address cannot carry a version as the hashed static copy that the admin links does.
@cache_control(public=True, max_age=24 * 3600)
@read_only()
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(icon_bytes(), content_type="image/x-icon")
