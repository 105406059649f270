from django.db import migrations

import conversation.migration_operations


class Migration(migrations.Migration):
    """Store each utterance's tsvector (PostgreSQL only) so that ranking reads it instead of parsing
    every matching text again; the GIN index moves from the expression to the column."""

    dependencies = [("conversation", "0002_seed_personas")]

    operations = [
        conversation.migration_operations.RunSQLOnPostgres(
            sql=[
                "ALTER TABLE conversation_utterance ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                "(to_tsvector('english'::regconfig, COALESCE(text, ''))) STORED",
                "DROP INDEX utterance_text_search_idx",
                "CREATE INDEX utterance_text_search_idx ON conversation_utterance USING gin (search_vector)",
            ],
            reverse_sql=[
                "DROP INDEX utterance_text_search_idx",
                "ALTER TABLE conversation_utterance DROP COLUMN search_vector",
                "CREATE INDEX utterance_text_search_idx ON conversation_utterance "
                "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))",
            ],
        ),
    ]
