"""Import and export of channels and of procedures with their steps in the admin (CSV, XLSX).

A procedure's steps travel in one column, one step per line, in order:

    打开国家医保服务平台App并登录 | 【医保码】→【修改密码】
    输入原密码和两次新密码

The text after the last ` | ` is the step's UI path (menu items in 【】 joined by →); without it the step has none.
A step done elsewhere than the procedure's channel starts with that channel's slug in square brackets:

    [shebao-yibao-counter] 到医保经办机构窗口申请解除锁定
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from curation.models import linked_rows
from curation.resources import (
    CodeOrSlugWidget,
    ContentResource,
    LinksField,
    OwnedRowsField,
    SlugListWidget,
    validation_messages,
)
from passwords.models import CardType
from regions.models import Region
from sources.models import Source

from .models import Channel, Procedure, Step

UI_PATH_SEPARATOR = " | "
STEP_CHANNEL = re.compile(r"^\[([a-z0-9-]+)\]\s*")


class StepsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> list[dict]:
        steps = []
        for line in str(value or "").splitlines():
            line = line.strip()
            if not line:
                continue
            channel = ""
            if match := STEP_CHANNEL.match(line):
                channel, line = match.group(1), line[match.end() :]
            instruction, separator, ui_path = line.rpartition(UI_PATH_SEPARATOR.strip())
            if not separator:
                instruction, ui_path = line, ""
            step = {"position": len(steps) + 1, "instruction": instruction.strip(), "ui_path": ui_path.strip()}
            steps.append(step | ({"channel": channel} if channel else {}))
        return steps

    def render(self, value, obj=None, **kwargs) -> str:
        lines = []
        for step in value or []:
            # One line per step: a line break typed inside an instruction would split it in two on import.
            line = " ".join(step["instruction"].splitlines())
            if step.get("channel"):
                line = f"[{step['channel']}] {line}"
            lines.append(f"{line}{UI_PATH_SEPARATOR}{step['ui_path']}" if step["ui_path"] else line)
        return "\n".join(lines)


class StepsField(OwnedRowsField):
    """The steps column: checked like the admin checks a step, and written after the procedure is saved."""

    def save(self, instance, row, is_m2m=False, **kwargs) -> None:
        steps = self.clean(row, **kwargs)
        if not steps:
            raise ValueError(_("List the steps, one per line: an import never leaves a procedure without steps."))
        problems = []
        named = {step["channel"] for step in steps if step.get("channel")}
        channels = linked_rows(Channel, named)
        for step in steps:
            if step.get("channel") and step["channel"] not in channels:
                problems.append(
                    _("Step %(position)d: no channel has the slug “%(slug)s”.")
                    % {"position": step["position"], "slug": step["channel"]}
                )
                continue
            fields_ = {key: value for key, value in step.items() if key != "channel"}
            try:
                # Its check constraints (positions from 1, an instruction) hold by construction and by clean_fields'
                # blank check, and the database enforces them on insert: checking them here would cost queries per step.
                Step(procedure=instance, channel=channels.get(step.get("channel", "")), **fields_).full_clean(
                    exclude=["procedure"], validate_constraints=False
                )
            except ValidationError as error:
                problems.extend(
                    _("Step %(position)d: %(message)s") % {"position": step["position"], "message": message}
                    for message in validation_messages(error)
                )
        if problems:
            raise ValueError(" ".join(problems))
        instance._import_steps = steps
        instance._import_step_channels = channels

    def stored_rows(self, instance) -> list[dict]:
        return [
            step_row(step)
            for step in Step.objects.filter(procedure=instance)
            .order_by("position")
            .values("position", "instruction", "ui_path", "channel__slug")
        ]


def step_row(values: dict) -> dict:
    """A step as the steps column and history hold it: its channel's slug only when it names one."""
    channel = values.pop("channel__slug")
    return values | ({"channel": channel} if channel else {})


def new_steps(instance: Procedure) -> list[Step]:
    channels = instance.__dict__.get("_import_step_channels") or {}
    return [
        Step(
            procedure=instance,
            channel=channels.get(step.get("channel", "")),
            **{key: value for key, value in step.items() if key != "channel"},
        )
        for step in instance.__dict__.get("_import_steps") or []
    ]


class ChannelResource(ContentResource):
    region = fields.Field(attribute="region", column_name="region", widget=CodeOrSlugWidget(Region, field="code"))
    sources = LinksField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))

    class Meta(ContentResource.Meta):
        model = Channel
        fields = (
            "slug", "kind", "name", "region", "phone", "url", "opening_hours", "description", "sources", "status",
        )  # fmt: skip
        export_order = fields
        import_order = fields


class ProcedureResource(ContentResource):
    region = fields.Field(attribute="region", column_name="region", widget=CodeOrSlugWidget(Region, field="code"))
    card_types = LinksField(attribute="card_types", column_name="card_types", widget=SlugListWidget(CardType))
    channel = fields.Field(attribute="channel", column_name="channel", widget=CodeOrSlugWidget(Channel, field="slug"))
    sources = LinksField(attribute="sources", column_name="sources", widget=SlugListWidget(Source))
    steps = StepsField(attribute="steps", column_name="steps", widget=StepsWidget())

    class Meta(ContentResource.Meta):
        model = Procedure
        fields = (
            "slug",
            "kind",
            "title",
            "summary",
            "region",
            "card_types",
            "insurance",
            "enrolment",
            "channel",
            "holder_must_be_present",
            "who_may_act",
            "requirements",
            "duration",
            "fee",
            "standing",
            "sources",
            "steps",
            "status",
        )
        export_order = fields
        import_order = fields

    def prefetch_current(self, objects: list[Procedure]) -> None:
        super().prefetch_current(objects)
        by_pk = {obj.pk: obj for obj in objects}
        for obj in objects:
            obj.__dict__["_import_current_steps"] = []
        steps = Step.objects.filter(procedure__in=by_pk).order_by("procedure", "position")
        for step in steps.values("procedure_id", "position", "instruction", "ui_path", "channel__slug"):
            by_pk[step.pop("procedure_id")].__dict__["_import_current_steps"].append(step_row(step))

    def snapshot(self, instance: Procedure) -> dict[str, list]:
        return super().snapshot(instance) | {"steps": instance.__dict__.get("_import_steps") or []}

    def save_owned_rows_in_bulk(self, instances: list[Procedure]) -> None:
        Step.objects.bulk_create(step for instance in instances for step in new_steps(instance))

    def save_owned_rows(self, instance: Procedure) -> None:
        steps = instance.__dict__.get("_import_steps")
        if steps is None:
            return
        # Replaced as a whole: positions run 1..n in the file's order, whatever they were before.
        Step.objects.filter(procedure=instance).delete()
        Step.objects.bulk_create(new_steps(instance))
