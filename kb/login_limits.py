"""Who is signing in to the admin, for django-axes' lock-out: the client address as the API's throttle sees it."""

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with DJANGO_NUM_PROXIES set, the address the nearest of those proxies appended to
    X-Forwarded-For: a client cannot pick its own address (and lock-out bucket) by sending the header."""
    return BaseThrottle().get_ident(request)
