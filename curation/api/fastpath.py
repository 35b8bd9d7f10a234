"""The fast path: an anonymous public read skips the middleware that do nothing for it.

A GET or HEAD of the public API, its schema, the widget or oEmbed without a token and without Django's session or
CSRF cookie reads no session, no user, no messages and no CSRF token, writes no history and cannot sign in; its answer
is the same for every asker (curation/api/caching.py). Yet the full chain runs all twenty middleware for it, a 304
and a cached answer included. This middleware, right inside the metrics, sends such a request down a second chain
built from the same MIDDLEWARE, in the same order, less those that do nothing for it (SKIPPED): every header the
answer carries is added by the same code as on the full path (tests/test_fast_path.py compares them header by
header). The metrics' own view, template and exception hooks run on both paths, so nothing is counted differently.

It also lets the request trust the worker's copy of the public revision for PUBLIC_REVISION_MEMO_SECONDS
(curation/revisions.py). PUBLIC_FAST_PATH (on by default) turns it off.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from curation.api.caching import PublicAnswer
from curation.revisions import anonymous_read

# What these do is needed only by staff and the signed-in: the admin's session, sign-in and its lock-out, messages,
# the CSRF token of forms, the history's user; and static files, which live under another prefix.
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "simple_history.middleware.HistoryRequestMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)
HOOKS = ("process_view", "process_template_response", "process_exception")


def is_anonymous_public_read(request: HttpRequest) -> bool:
    """A public read (curation/api/caching.py) by someone not signed in: the fast path's and the replicas' question.

    The fast path asks before the session is read, and must not read it (that is what it spares): there, only the
    absence of a token and of Django's session and CSRF cookies vouches for it. Middleware inside
    AuthenticationMiddleware (the replicas' router) ask the session itself, through `request.user`: a stale or
    made-up session cookie is anonymous, and the request still takes the full path, whose SessionMiddleware then
    deletes that cookie."""
    if not PublicAnswer.is_public_read(request) or "HTTP_AUTHORIZATION" in request.META:
        return False
    user = getattr(request, "user", None)
    if user is not None:
        return not user.is_authenticated
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and settings.CSRF_COOKIE_NAME not in cookies


class PublicChain(BaseHandler):
    """The inner middleware less SKIPPED, ending in Django's own view dispatch (`BaseHandler._get_response`: URL
    resolution, view hooks, the view, template responses, exception hooks), as `BaseHandler.load_middleware` builds
    the full chain; `outer` lends its hooks alone (the metrics' per-view counts)."""

    def __init__(self, outer: list[str], inner: list[str]) -> None:
        super().__init__()
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(inner):
            instance = import_string(path)(handler)
            self.add_hooks(instance)
            handler = convert_exception_to_response(instance)
        for path in reversed(outer):
            self.add_hooks(import_string(path)(handler))
        self._middleware_chain = handler

    def add_hooks(self, instance) -> None:
        if hasattr(instance, "process_view"):
            self._view_middleware.insert(0, instance.process_view)
        if hasattr(instance, "process_template_response"):
            self._template_response_middleware.append(instance.process_template_response)
        if hasattr(instance, "process_exception"):
            self._exception_middleware.append(instance.process_exception)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self._middleware_chain(request)


class PublicFastPathMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        names = list(settings.MIDDLEWARE)
        here = names.index(f"{__name__}.{type(self).__name__}")
        self.public = PublicChain(names[:here], [name for name in names[here + 1 :] if name not in SKIPPED])

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.PUBLIC_FAST_PATH and is_anonymous_public_read(request):
            token = anonymous_read.set(True)
            try:
                return self.public(request)
            finally:
                anonymous_read.reset(token)
        return self.get_response(request)
