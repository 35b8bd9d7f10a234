"""Anonymous throttling, its rate read from settings at each request so that it can be configured (and tested)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousRateThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.API_ANON_THROTTLE_RATE
