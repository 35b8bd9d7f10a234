from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0004_lower_case_slugs'),
        ('curation', '0001_move_curation_models'),
    ]

    operations = [
        # Moved to the curation app (curation/migrations/0001), tables and all: nothing is dropped.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='auditentry',
                    name='content_type',
                ),
                migrations.RemoveField(
                    model_name='auditentry',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='changenote',
                    name='content_type',
                ),
                migrations.RemoveField(
                    model_name='changenote',
                    name='written_by',
                ),
                migrations.DeleteModel(
                    name='ContentRevision',
                ),
                migrations.DeleteModel(
                    name='AuditEntry',
                ),
                migrations.DeleteModel(
                    name='ChangeNote',
                ),
            ],
            database_operations=[],
        ),
    ]
