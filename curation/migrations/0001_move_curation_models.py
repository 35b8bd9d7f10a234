import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["contentrevision", "changenote", "auditentry"]


def relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = ContentType.objects.filter(app_label=old, model=model)
        if moving.exists():
            ContentType.objects.filter(app_label=new, model=model).delete()
            moving.update(app_label=new)


def move_content_types(apps, schema_editor) -> None:
    relabel(apps, "sources", "curation")


def move_content_types_back(apps, schema_editor) -> None:
    relabel(apps, "curation", "sources")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables were made by the sources app, which held the curation core before it had an app of its own.
        ('sources', '0004_lower_case_slugs'),
    ]

    operations = [
        # The models move; their tables, rows and names stay: only Django's idea of where they live changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ContentRevision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveBigIntegerField(default=0, verbose_name='revision')),
                        ('changed_at', models.DateTimeField(verbose_name='changed at')),
                    ],
                    options={
                        'verbose_name': 'content revision',
                        'verbose_name_plural': 'content revisions',
                        'db_table': 'sources_contentrevision',
                        'permissions': [('publish_content', 'Can publish, archive, schedule and revert content')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='contentrevision_singleton')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('submit', 'Submitted for review'), ('return', 'Returned to draft'), ('schedule', 'Scheduled'), ('publish', 'Published'), ('archive', 'Archived'), ('revert', 'Reverted'), ('import', 'Imported')], db_index=True, max_length=16, verbose_name='action')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('object_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='object id')),
                        ('object_repr', models.CharField(blank=True, max_length=200, verbose_name='object')),
                        ('detail', models.TextField(blank=True, verbose_name='detail')),
                        ('content_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='contenttypes.contenttype', verbose_name='content type')),
                        ('user', models.ForeignKey(blank=True, help_text='Empty when the scheduler did it.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'audit entry',
                        'verbose_name_plural': 'audit log',
                        'db_table': 'sources_auditentry',
                        'ordering': ['-at', '-id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('action__in', ['submit', 'return', 'schedule', 'publish', 'archive', 'revert', 'import'])), name='auditentry_action_valid', violation_error_message='Unknown action.')],
                    },
                ),
                migrations.CreateModel(
                    name='ChangeNote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('object_id', models.PositiveBigIntegerField(verbose_name='object id')),
                        ('changed_on', models.DateField(default=django.utils.timezone.localdate, help_text='The day the change took effect for the public.', verbose_name='changed on')),
                        ('note', models.CharField(help_text='A sentence or two for the public, e.g. “from 2022-03-02 张家口 no longer accepts 123456”.', max_length=280, verbose_name='note')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype', verbose_name='content type')),
                        ('written_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'change note',
                        'verbose_name_plural': 'change notes',
                        'db_table': 'sources_changenote',
                        'ordering': ['-changed_on', '-id'],
                        'indexes': [models.Index(fields=['content_type', 'object_id'], name='sources_cha_content_170752_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('note', ''), _negated=True), name='changenote_not_blank', violation_error_message='Write the note.')],
                    },
                ),
            ],
            database_operations=[],
        ),
        # Their content types (and so the permissions on them, publish_content among them) follow.
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
