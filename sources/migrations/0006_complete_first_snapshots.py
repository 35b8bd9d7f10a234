"""The first historical record of each object the content loader created holds its links, as every later
load records them (see curation/first_snapshots.py)."""

from django.db import migrations

from curation.first_snapshots import completer


class Migration(migrations.Migration):
    dependencies = [("sources", "0005_move_curation_models")]

    # Backward there is nothing to undo: the schema is unchanged, and the completed snapshots are what those
    # versions held.
    operations = [migrations.RunPython(completer("sources", ["Source"]), migrations.RunPython.noop)]
