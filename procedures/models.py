"""How people get things done: channels, procedures with ordered steps, and frequently asked questions."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from curation.choices import Standing, Status
from curation.models import ContentModel, RefusesNulCharacters, content_constraints, linked_rows
from kb.constraints import one_of
from passwords.choices import Enrolment, Insurance
from passwords.models import AudienceScoped
from sources.models import Citation, citation_constraints

from .choices import ChannelKind, ProcedureKind


class Channel(ContentModel):
    """A way to reach a service: an app, a hotline, a counter, a bank, ..."""

    kind = models.CharField(_("kind"), max_length=24, choices=ChannelKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="channels",
        verbose_name=_("region"),
        help_text=_("The region it serves; the national root (000000) for nationwide channels such as 12333."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    url = models.URLField(_("URL"), blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    sources = models.ManyToManyField(
        "sources.Source", through="procedures.ChannelCitation", related_name="channels", verbose_name=_("sources")
    )

    class Meta:
        ordering = ["region__code", "kind", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            *content_constraints("channel"),
            models.CheckConstraint(
                condition=~models.Q(kind=ChannelKind.HOTLINE) | ~models.Q(phone=""),
                name="channel_hotline_has_phone",
                violation_error_message=_("A hotline needs its phone number."),
            ),
            one_of("kind", ChannelKind, name="channel_kind_valid", message=_("Unknown kind of channel.")),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=r"^[0-9][0-9-]{2,39}$"),
                name="channel_phone_digits",
                violation_error_message=_("A phone number is written with digits and hyphens only, e.g. 0816-12393."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    def slug_words(self) -> list[str]:
        return [self.region.slug_name if self.region_id else "", self.name]


class Procedure(AudienceScoped, ContentModel):
    """A task such as changing or resetting a password in one region.

    `channel` is where it is done, or where it starts and is mainly done; a step done elsewhere (pay arrears in an
    app, then unlock at the counter) names its own channel, so `channels` lists every channel it takes, in order."""

    kind = models.CharField(_("kind"), max_length=32, choices=ProcedureKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("region"),
        help_text=_("The national root (000000) for procedures that hold everywhere."),
    )
    card_types = models.ManyToManyField(
        "passwords.CardType",
        blank=True,
        related_name="procedures",
        verbose_name=_("card types"),
        help_text=_("Leave empty when it works for every card type."),
    )
    channel = models.ForeignKey(
        Channel,
        # A channel in use cannot be deleted: archive it, or move its procedures first.
        on_delete=models.PROTECT,
        related_name="procedures",
        verbose_name=_("channel"),
        help_text=_("Where it is done; a step done elsewhere names its own channel."),
    )
    holder_must_be_present = models.BooleanField(_("holder must be present"), default=False)
    who_may_act = models.CharField(
        _("who may act for the holder"),
        max_length=200,
        blank=True,
        help_text=_("For example: nobody; a guardian for a minor; family members through a linked family account."),
    )
    requirements = models.TextField(_("what to bring"), blank=True, help_text=_("One item per line."))
    duration = models.CharField(_("how long it takes"), max_length=80, blank=True)
    fee = models.CharField(_("fee"), max_length=80, blank=True)
    standing = models.CharField(_("standing"), max_length=20, choices=Standing.choices)
    sources = models.ManyToManyField(
        "sources.Source", through="procedures.ProcedureCitation", related_name="procedures", verbose_name=_("sources")
    )

    class Meta:
        ordering = ["region__code", "kind", "title"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        constraints = [
            *content_constraints("procedure"),
            one_of("kind", ProcedureKind, name="procedure_kind_valid", message=_("Unknown kind of procedure.")),
            one_of("standing", Standing, name="procedure_standing_valid", message=_("Unknown standing.")),
            one_of("insurance", Insurance, name="procedure_insurance_valid", message=_("Unknown insurance.")),
            one_of("enrolment", Enrolment, name="procedure_enrolment_valid", message=_("Unknown enrolment.")),
            models.CheckConstraint(
                condition=~models.Q(title=""),
                name="procedure_title_not_blank",
                violation_error_message=_("A procedure needs a title."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.region.name}）"

    def slug_words(self) -> list[str]:
        return [self.region.slug_name if self.region_id else "", self.title]

    def history_related_snapshot(self) -> dict[str, list]:
        return {
            **super().history_related_snapshot(),
            "steps": [
                {"position": step.position, "instruction": step.instruction, "ui_path": step.ui_path}
                # Only a step done elsewhere carries its channel, so that versions before channels compare equal.
                | ({"channel": step.channel.slug} if step.channel_id else {})
                for step in Step.objects.filter(procedure=self).select_related("channel").order_by("position")
            ],
        }

    def _restore_related(self, snapshot: dict[str, list]) -> None:
        super()._restore_related(snapshot)
        if "steps" in snapshot:
            wanted = {row["channel"] for row in snapshot["steps"] if row.get("channel")}
            channels = linked_rows(Channel, wanted)
            if missing := wanted - channels.keys():
                raise ValidationError(
                    {"steps": _("These no longer exist: %(missing)s.") % {"missing": ", ".join(sorted(missing))}}
                )
            self.steps.all().delete()
            for row in snapshot["steps"]:
                row = dict(row)
                channel = channels.get(row.pop("channel", None) or "")
                step = Step(procedure=self, channel=channel, **row)
                step.full_clean()
                step.save()

    @property
    def requirement_list(self) -> list[str]:
        return [line.strip() for line in self.requirements.splitlines() if line.strip()]

    @property
    def channels(self) -> list[Channel]:
        """Every channel the procedure takes, in the order its steps take them (its own channel for steps that name
        none); reads the prefetched steps with their channels."""
        found: dict[int, Channel] = {}
        for step in self.steps.all():
            channel = step.channel if step.channel_id else self.channel
            found.setdefault(channel.pk, channel)
        return list(found.values()) or [self.channel]


class StepManager(models.Manager):
    def get_by_natural_key(self, procedure_slug: str, position: int):
        return self.get(procedure__slug=procedure_slug, position=position)


# Steps of one procedure: the longest in the sources has ten; a few dozen is already a manual, not a procedure, and
# each step is a row to write, snapshot in history and render.
MAX_STEPS = 50


class Step(RefusesNulCharacters, models.Model):
    """One instruction in a procedure, in order."""

    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("procedure"),
    )
    position = models.PositiveSmallIntegerField(
        _("position"),
        # Positions run 1..n, so this caps how many steps a procedure has, wherever they are written from.
        validators=[MaxValueValidator(MAX_STEPS, message=_("A procedure has at most %(limit_value)d steps."))],
    )
    instruction = models.TextField(_("instruction"))
    ui_path = models.CharField(
        _("UI path"),
        max_length=200,
        blank=True,
        help_text=_("Menu path in an app, e.g. 【医保码】→【修改密码】."),
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        # No reverse accessor: `channel.steps` would read as a procedure's steps to code that asks any content for them.
        related_name="+",
        verbose_name=_("channel"),
        help_text=_("Only when this step is done elsewhere than the procedure's channel."),
    )

    objects = StepManager()

    class Meta:
        # Prefetched steps come back in order without sorting in Python.
        ordering = ["procedure", "position"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "position"],
                name="step_unique_position",
                violation_error_message=_("Two steps of one procedure cannot share a position."),
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1),
                name="step_position_positive",
                violation_error_message=_("Positions start at 1."),
            ),
            models.CheckConstraint(
                condition=~models.Q(instruction=""),
                name="step_instruction_not_blank",
                violation_error_message=_("A step needs an instruction."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.instruction[:40]}"

    def natural_key(self) -> tuple[str, int]:
        return (self.procedure.slug, self.position)

    natural_key.dependencies = ["procedures.procedure"]

    @property
    def effective_channel(self) -> Channel:
        return self.channel if self.channel_id else self.procedure.channel

    def clean(self) -> None:
        if self.ui_path and "【" not in self.ui_path:
            raise ValidationError(
                {"ui_path": _("Write menu items in 【】 brackets joined by →, e.g. 【医保码】→【修改密码】.")}
            )


def followable() -> models.Q:
    """Procedures that can be followed: every channel they take (their own and their steps') is published."""
    elsewhere = Step.objects.filter(channel__isnull=False).exclude(channel__status=Status.PUBLISHED)
    return models.Q(channel__status=Status.PUBLISHED) & ~models.Q(pk__in=elsewhere.values("procedure"))


class Faq(ContentModel):
    """A question people ask and its answer, attached to what it concerns."""

    question = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("answer"))
    regions = models.ManyToManyField(
        "regions.Region",
        blank=True,
        related_name="faqs",
        verbose_name=_("regions"),
        help_text=_("Empty: it concerns every region."),
    )
    card_types = models.ManyToManyField(
        "passwords.CardType",
        blank=True,
        related_name="faqs",
        verbose_name=_("card types"),
    )
    procedures = models.ManyToManyField(Procedure, blank=True, related_name="faqs", verbose_name=_("procedures"))
    sources = models.ManyToManyField(
        "sources.Source", through="procedures.FaqCitation", related_name="faqs", verbose_name=_("sources")
    )

    class Meta:
        ordering = ["slug"]
        verbose_name = _("FAQ")
        verbose_name_plural = _("FAQs")
        constraints = [
            *content_constraints("faq"),
            models.CheckConstraint(
                condition=~models.Q(question="") & ~models.Q(answer=""),
                name="faq_question_and_answer",
                violation_error_message=_("A FAQ needs both a question and an answer."),
            ),
        ]

    def __str__(self) -> str:
        return self.question


class ChannelCitation(Citation):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("channel", "channel")


class ProcedureCitation(Citation):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("procedure", "procedure")


class FaqCitation(Citation):
    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="citations")

    class Meta(Citation.Meta):
        constraints = citation_constraints("faq", "faq")
