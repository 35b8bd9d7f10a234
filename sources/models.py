"""Where facts come from, and the fields every piece of curated content shares."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Status


class ContentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


class SlugManager(models.Manager.from_queryset(ContentQuerySet)):
    """Content is addressed by its slug, so fixtures and exports survive a move between databases."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class ContentModel(models.Model):
    """Publication status and timestamps; the review workflow around `status` comes later."""

    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("Stable identifier used in URLs, imports and fixtures: lower-case letters, digits and hyphens."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
    )
    replaced_by = models.ForeignKey(
        "self",
        # The successor going away must not take its archived predecessor with it.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
        help_text=_("For archived content: what took its place. Apps that cached the old one are sent there."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = SlugManager()

    class Meta:
        abstract = True

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Source(ContentModel):
    """A document a fact was taken from, named after the page's title and publisher."""

    title = models.CharField(_("title"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=120)
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


class ContentRevision(models.Model):
    """A single row whose number moves on with every change to content, so caches know when they are stale.

    Kept in the database rather than a cache so that every server process sees the same revision.
    """

    number = models.PositiveBigIntegerField(_("revision"), default=0)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("content revision")
        verbose_name_plural = _("content revisions")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="contentrevision_singleton")]

    def __str__(self) -> str:
        return f"#{self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
