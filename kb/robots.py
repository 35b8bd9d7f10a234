"""/robots.txt: what search engines may crawl.

The widget pages are the public answer for each region, written for people, each naming its canonical address: they
are what a search for a region's card password should find. The API's reference (/api/docs/, and the schema it
renders) helps developers find the API. The API's data is for programs (throttled, and the widget pages say the same
for people), the admin is for staff, and oEmbed answers for CMSs: none of these is crawled."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from kb.methods import read_only

ROBOTS_TXT = """\
User-agent: *
Allow: /embed/v1/
Allow: /api/docs/
Allow: /api/schema/
Disallow: /
"""


@read_only()
def robots_txt(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response
