"""The schema and its documentation pages (drf-spectacular's views, apart from kb.api.schema, which DRF imports
while these views' module is still loading)."""

from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView


class SchemaView(SpectacularAPIView):
    """The schema in English whatever Accept-Language says: code generators name classes and enums after its titles,
    and a client generated from it must not depend on who fetched it. `?lang=zh-hans` gives the Chinese one, which
    the documentation pages show."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        with translation.override("en"):
            return super().get(request, *args, **kwargs)


class DocsLanguage:
    """Swagger UI and ReDoc read the schema in the page's language (Chinese by default, or as Accept-Language or
    `?lang` asks), so that people read the labels they read in answers."""

    def _get_schema_url(self, request):
        url = super()._get_schema_url(request)
        if request.GET.get("lang"):
            return url
        return f"{url}{'&' if '?' in url else '?'}lang={translation.get_language()}"


class DocsView(DocsLanguage, SpectacularSwaggerSplitView):
    pass


class RedocView(DocsLanguage, SpectacularRedocView):
    pass
