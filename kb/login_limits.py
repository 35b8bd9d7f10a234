"""Who is signing in to the admin, for django-axes' lock-out: the client address as the API's throttle sees it."""

import ipaddress

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with DJANGO_NUM_PROXIES set, the address the nearest of those proxies appended to
    X-Forwarded-For: a client cannot pick its own address (and lock-out bucket) by sending the header.

    Where that entry is no address at all (the app reached without its proxy, a client writing the header itself),
    the connection's address counts: the throttle's arithmetic on addresses must not fail on what a client sent."""
    address = BaseThrottle().get_ident(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return request.META.get("REMOTE_ADDR", "")
    return address
