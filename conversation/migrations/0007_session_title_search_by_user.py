from django.db import migrations

import conversation.migration_operations


class Migration(migrations.Migration):
    """The title search index is keyed by user like the text index (btree_gin, migration 0004), so a
    user's search reads that user's title matches only."""

    dependencies = [("conversation", "0006_socket_leases")]

    operations = [
        conversation.migration_operations.RunSQLOnPostgres(
            sql=[
                "DROP INDEX session_title_search_idx",
                "CREATE INDEX session_title_search_idx ON conversation_session "
                "USING gin (user_id, to_tsvector('english'::regconfig, COALESCE(title, '')))",
            ],
            reverse_sql=[
                "DROP INDEX session_title_search_idx",
                "CREATE INDEX session_title_search_idx ON conversation_session "
                "USING gin (to_tsvector('english'::regconfig, COALESCE(title, '')))",
            ],
        ),
    ]
