import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import conversation.migration_operations


def copy_owners(apps, schema_editor):
    Utterance = apps.get_model("conversation", "Utterance")
    Session = apps.get_model("conversation", "Session")
    Utterance.objects.update(
        user_id=models.Subquery(Session.objects.filter(pk=models.OuterRef("session_id")).values("user_id")[:1])
    )


class Migration(migrations.Migration):
    """Utterances carry their session's owner, and the text search index is keyed by it (PostgreSQL:
    btree_gin lets one GIN index hold the user id beside the tsvector)."""

    dependencies = [
        ("conversation", "0003_utterance_search_vector"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="utterance",
            name="user",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(copy_owners, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="utterance",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        conversation.migration_operations.RunSQLOnPostgres(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gin",
                "DROP INDEX utterance_text_search_idx",
                "CREATE INDEX utterance_text_search_idx ON conversation_utterance USING gin (user_id, search_vector)",
            ],
            reverse_sql=[
                "DROP INDEX utterance_text_search_idx",
                "CREATE INDEX utterance_text_search_idx ON conversation_utterance USING gin (search_vector)",
            ],
        ),
    ]
