from django.db import migrations

import conversation.migration_operations


def create_sqlite_index(apps, schema_editor):
    from conversation.search.sqlite import ensure_search_index

    ensure_search_index(schema_editor.connection)


def drop_sqlite_index(apps, schema_editor):
    from conversation.search.sqlite import drop_search_index

    drop_search_index(schema_editor.connection)


class Migration(migrations.Migration):
    """Message search (docs/search.md). SQLite: an FTS5 table over the utterances' text, kept exact
    by triggers, filled from the rows (conversation/search/sqlite.py). PostgreSQL: the user's newest
    final utterances in order, for a search's partial answer (conversation/search/postgres.py)."""

    dependencies = [("conversation", "0017_folders_and_tags")]

    operations = [
        migrations.RunPython(create_sqlite_index, drop_sqlite_index, elidable=False),
        conversation.migration_operations.RunSQLOnPostgres(
            sql=[
                "CREATE INDEX utterance_user_recent_idx ON conversation_utterance "
                "(user_id, created_at DESC, id DESC) WHERE is_final"
            ],
            reverse_sql=["DROP INDEX utterance_user_recent_idx"],
        ),
    ]
