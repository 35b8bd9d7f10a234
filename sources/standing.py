"""The rule for standing: a claim is never stronger than the sources it cites.

- official: at least one cited source is official (issued by the authority that sets or operates the rule);
- widely reported: the cited sources come from at least two different publishers (documents of one publisher
  repeat one voice, however many there are);
- unverified: anything else, such as one article, or several pages of one site.

A row may claim less than its sources allow (a curator who finds that the second publisher does not back the claim
itself rates it lower), never more. Publishing checks it (registered with the workflow in SourcesConfig.ready), and
`manage.py check_content` reports the published rows that break it, as when a source's publisher or `official`
changes after the rows citing it were published.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from curation.choices import Standing
from curation.models import ContentModel
from curation.workflow import WorkflowError, cites_sources

from .models import Source

# Standing's choices run from the strongest to the weakest.
STRENGTH = {value: len(Standing.values) - index for index, value in enumerate(Standing.values)}


def publisher_key(publisher: str) -> str:
    """One publisher however its name was typed: case and runs of white space do not make a second voice."""
    return " ".join(publisher.split()).casefold()


def supported_standing(sources: Iterable[Source]) -> Standing:
    """The strongest standing that `sources` together support."""
    sources = list(sources)
    if any(source.official for source in sources):
        return Standing.OFFICIAL
    if len({publisher_key(source.publisher) for source in sources}) >= 2:
        return Standing.WIDELY_REPORTED
    return Standing.UNVERIFIED


def check_standing(obj: ContentModel) -> None:
    """Refuses a standing stronger than `obj`'s sources support."""
    if not hasattr(obj, "standing") or not cites_sources(type(obj)):
        return
    supported = supported_standing(obj.sources.all())
    if STRENGTH[obj.standing] > STRENGTH[supported]:
        message = _(
            "Its sources support at most “%(supported)s”, not “%(standing)s”: an official statement needs an official "
            "source, and a wide report needs sources from at least two different publishers."
        ) % {"supported": Standing(supported).label, "standing": Standing(obj.standing).label}
        raise WorkflowError({"standing": ValidationError(message, code="standing_unsupported")})
