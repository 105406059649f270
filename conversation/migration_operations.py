"""Schema operations that exist on PostgreSQL only.

The full-text GIN indexes are kept out of the models' state on purpose: SQLite (the embedded
default) rebuilds a table from that state whenever a constraint changes and cannot build a GIN
index. They are created here, on PostgreSQL only; on SQLite search falls back to a plain scan.
"""

from django.db.migrations.operations import RunSQL


class RunSQLOnPostgres(RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
