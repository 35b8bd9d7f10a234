"""Sources: the documents facts are taken from, and the citations that tie content to them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from curation.models import ContentModel, content_constraints


class Source(ContentModel):
    """A document a fact was taken from, named after the page's title and publisher."""

    title = models.CharField(_("title"), max_length=200)
    publisher = models.CharField(
        _("publisher"),
        max_length=120,
        help_text=_(
            "Spell a publisher the same way on each of its documents: documents of one publisher count as one "
            "voice when the standing of what they say is judged."
        ),
    )
    official = models.BooleanField(
        _("official source"),
        default=False,
        help_text=_(
            "Published by the authority that issues or operates the rule: a human-resources and social-security or "
            "medical-insurance department, its agency, or the card's issuer. Only an official source lets content "
            "it backs be an official statement."
        ),
    )
    url = models.URLField(
        _("URL"),
        blank=True,
        help_text=_("Leave empty when the page's address is not known."),
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    retrieved_on = models.DateField(
        _("retrieved on"),
        null=True,
        blank=True,
        help_text=_("Empty when the date it was gathered was not recorded."),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("What the document covers and how far it can be trusted."),
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            *content_constraints("source"),
            models.CheckConstraint(
                condition=models.Q(published_on__isnull=True)
                | models.Q(retrieved_on__isnull=True)
                | models.Q(published_on__lte=models.F("retrieved_on")),
                name="source_published_before_retrieved",
                violation_error_message=_("A document cannot have been published after it was retrieved."),
            ),
            models.CheckConstraint(
                condition=~models.Q(title=""),
                name="source_title_not_blank",
                violation_error_message=_("A source needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.publisher}）"

    def slug_words(self) -> list[str]:
        return [self.title]


class Citation(models.Model):
    """One content object citing one source. A cited source cannot be deleted: the fact would lose its evidence."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))

    class Meta:
        abstract = True
        verbose_name = _("citation")
        verbose_name_plural = _("citations")

    def __str__(self) -> str:
        return str(self.source)


def citation_constraints(owner: str, name: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=[owner, "source"], name=f"{name}_cites_source_once")]
