"""The widget's sections: what a portal may choose to show (`sections`), in the order the widget shows them, and
which of them are open before the reader asks."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from procedures.choices import ProcedureKind

PROCEDURE_SECTIONS = tuple(ProcedureKind.values)
# The answer first: the initial passwords and how to change them; the rest is one click away.
SECTIONS = (
    "passwords",
    "change_password",
    "policy",
    *(kind for kind in PROCEDURE_SECTIONS if kind != "change_password"),
    "hotlines",
    "changes",
)
OPEN_SECTIONS = frozenset({"passwords", "change_password"})
# Every section's name once, with the commas between them.
SECTIONS_MAX_LENGTH = sum(len(name) + 1 for name in SECTIONS)


@dataclass
class Section:
    """One collapsible part of the widget: `name` is its id on the page and in `sections`, `template` renders
    `rows`."""

    name: str
    title: str
    template: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    open: bool = False


@dataclass
class Shown:
    """What a widget shows: its sections, and the rows in them, whose sources, dates, change notes and structured
    data the page gives."""

    sections: list[Section]
    rules_and_policies: list[dict]
    procedures: list[dict]
    channels: list[dict]

    @property
    def rows(self) -> list[dict]:
        return [*self.rules_and_policies, *self.procedures, *self.channels]


def step_runs(procedure: dict) -> list[dict]:
    """The procedure's steps in runs done at one channel (pay in the app, then unlock at the counter), in order."""
    channels = {channel["slug"]: channel for channel in procedure["channels"]}
    runs: list[dict] = []
    for step in procedure["steps"]:
        if not runs or runs[-1]["channel"]["slug"] != step["channel"]:
            runs.append({"channel": channels[step["channel"]], "start": step["position"], "steps": []})
        runs[-1]["steps"].append(step)
    return runs


def widget_sections(answer: dict[str, Any], *, shown: tuple[str, ...]) -> Shown:
    """The sections of `shown` that have something to show (the initial passwords always do: "none recorded" is an
    answer), in the widget's order. A widget of one section shows it open."""
    by_kind: dict[str, list[dict]] = {}
    for procedure in answer["procedures"]:
        # The answer's rows are the lookup's cached ones: copied, never changed.
        by_kind.setdefault(procedure["kind"], []).append({**procedure, "runs": step_runs(procedure)})
    hotlines = [channel for channel in answer["channels"] if channel["kind"] == "hotline"]
    candidates = {
        "passwords": Section("passwords", _("Initial passwords"), "embed/rules.html", answer["default_passwords"]),
        "policy": Section("policy", _("Rules for a new password"), "embed/policies.html", answer["password_policy"]),
        "hotlines": Section("hotlines", _("Hotlines"), "embed/hotlines.html", hotlines),
    }
    for kind in PROCEDURE_SECTIONS:
        candidates[kind] = Section(kind, ProcedureKind(kind).label, "embed/procedures.html", by_kind.get(kind, []))
    chosen = [name for name in SECTIONS if name in shown and name in candidates]
    procedures = [row for name in chosen if name in by_kind for row in candidates[name].rows]
    # The channels the page names: the hotlines, and every channel of each procedure shown.
    named = {channel["slug"] for procedure in procedures for channel in procedure["channels"]}
    channels = [
        c for c in answer["channels"] if c["slug"] in named or ("hotlines" in chosen and c["kind"] == "hotline")
    ]
    found = {channel["slug"] for channel in channels}
    # A procedure's channel may be stated on a region the answer's channel list leaves out: its own summary then.
    channels += list({c["slug"]: c for p in procedures for c in p["channels"] if c["slug"] not in found}.values())
    rules_and_policies = [row for name in ("passwords", "policy") if name in chosen for row in candidates[name].rows]
    result = Shown([], rules_and_policies, procedures, channels)
    candidates["changes"] = Section("changes", _("What changed"), "embed/changes.html", recent_changes(result.rows))
    result.sections = [
        candidates[name] for name in SECTIONS if name in shown and (candidates[name].rows or name == "passwords")
    ]
    for section in result.sections:
        section.open = section.name in OPEN_SECTIONS or len(result.sections) == 1
    return result


def recent_changes(rows: list[dict], limit: int = 5) -> list[dict]:
    """The newest public change notes of what the page shows, each once."""
    notes = {(change["date"], change["note"]): change for row in rows for change in row.get("changes", [])}
    return [notes[key] for key in sorted(notes, reverse=True)[:limit]]


def parse_sections(value: str) -> tuple[str, ...]:
    """`sections` as given (names separated by commas) in the widget's order. A ValueError says which names there are
    and repeats nothing it was given, whatever that held."""
    names = {part.strip() for part in value.split(",")}
    if not names <= set(SECTIONS):
        raise ValueError(_("Use section names separated by commas: %(known)s.") % {"known": ", ".join(SECTIONS)})
    return tuple(name for name in SECTIONS if name in names)
