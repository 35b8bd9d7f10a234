"""django-csp's middleware, with the site's own policies built once rather than twice for every response.

`CSPMiddleware.process_response` builds both policies (the enforced one and the report-only one) from their
settings on every response, some 60 µs of an answer that no cache holds (a tenth of a cold lookup's CPU). A response
that asks for nothing of its own (no `@csp_update`, `@csp_replace`, `@csp_exempt` or their report-only forms, no
nonce read) gets the policies the settings make, which change only with the settings: those are built once, and
again when a test overrides them. Anything else takes django-csp's own way, unchanged."""

import http.client

from csp import middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What a view or a decorator sets on a response to change or drop its policies (csp.decorators).
OWN_POLICY = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_exempt",
    "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro", "_csp_exempt_ro",
)  # fmt: skip
SETTINGS = {"CONTENT_SECURITY_POLICY": HEADER, "CONTENT_SECURITY_POLICY_REPORT_ONLY": HEADER_REPORT_ONLY}

# The header and value of each policy the settings make, and the URL prefixes it leaves out; None until first built.
_policies: list[tuple[str, str, tuple[str, ...]]] | None = None


@receiver(setting_changed)
def _forget_policies(setting: str, **_signal) -> None:
    global _policies
    if setting in SETTINGS:
        _policies = None


class CSPMiddleware(middleware.CSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, name) for name in OWN_POLICY):
            return super().process_response(request, response)
        # As django-csp does: Django's debug pages keep their inline scripts.
        if settings.DEBUG and response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND):
            return response
        for header, value, excluded in self.policies(request, response):
            if value and header not in response and not request.path_info.startswith(excluded):
                response[header] = value
        request.csp_nonce = middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def policies(self, request: HttpRequest, response: HttpResponseBase) -> list[tuple[str, str, tuple[str, ...]]]:
        global _policies
        if _policies is None:
            built = []
            for name, header in SETTINGS.items():
                report_only = header == HEADER_REPORT_ONLY
                parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
                value = middleware.build_policy(**middleware.asdict(parts), report_only=report_only)
                excluded = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
                built.append((header, value, excluded))
            _policies = built
        return _policies
