"""The first historical record of each object the content loader created holds its links and steps, as every later
load records them (see curation/first_snapshots.py)."""

from django.db import migrations

from curation.first_snapshots import completer


def current_steps(apps, procedure_id: int) -> list[dict]:
    rows = apps.get_model("procedures", "Step").objects.filter(procedure_id=procedure_id).order_by("position")
    return [{"position": row.position, "instruction": row.instruction, "ui_path": row.ui_path} for row in rows]


class Migration(migrations.Migration):
    dependencies = [("procedures", "0004_lower_case_slugs")]

    # Backward there is nothing to undo: the schema is unchanged, and the completed snapshots are what those
    # versions held.
    operations = [
        migrations.RunPython(
            completer("procedures", ["Channel", "Procedure", "Faq"], owned={"Procedure": {"steps": current_steps}}),
            migrations.RunPython.noop,
        )
    ]
