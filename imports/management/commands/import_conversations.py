import sys

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from accounts.models import User
from conversation.management.base import ProductCommand
from imports import formats, services
from imports.models import ConversationImport


class Command(ProductCommand):
    help = (
        "Import a file of conversations into a user's account: ChatGPT's conversations.json or export zip, "
        "Claude's conversations.json, Open WebUI's or LibreChat's chat export, or this product's account export. "
        "Each conversation is stored whole or not at all, once; exits 1 when any failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", required=True, help="The account to import into.")
        parser.add_argument("file", help="The export file (JSON or zip).")
        parser.add_argument(
            "--format", choices=list(formats.FORMATS), default="", help="The format expected (default: detected)."
        )

    def handle(self, *args, user, file, format, **options) -> None:
        owner = User.objects.filter(email__iexact=user).first()
        if owner is None:
            raise CommandError(f"No user with e-mail {user!r}.")
        try:
            job = services.conversation_import_file(user=owner, path=file, format_hint=format, progress=self._bar)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(
            f"{formats.FORMATS.get(job.format, 'Unknown format')}: {job.conversations_done} conversations read, "
            f"{job.imported} imported, {job.present} already present, {job.failed} failed, "
            f"{job.utterances} messages stored, {job.skipped_turns} hidden, tool or reasoning turns skipped."
        )
        for row in job.rows.filter(result="failed").order_by("position")[:50]:
            self.stdout.write(f"  failed: #{row.position} {row.title or row.source_id}: {row.error}")
        if job.status == ConversationImport.Status.FAILED:
            raise CommandError(job.error or "The import failed.")
        if job.failed:
            sys.exit(1)

    def _bar(self, job: ConversationImport) -> None:
        """A bar redrawn in place on a terminal; elsewhere (a log) a line at each tenth of the file."""
        done = min(job.bytes_done / job.size, 1.0) if job.size and job.status == "running" else 1.0
        counts = f"{done:4.0%} {job.conversations_done} conversations, {job.utterances} messages"
        if self.stderr.isatty():
            filled = int(done * 30)
            self.stderr.write(f"\r[{'#' * filled}{'-' * (30 - filled)}] {counts}", ending="")
            self.stderr.flush()
        elif int(done * 10) > getattr(self, "_tenths", -1):
            self._tenths = int(done * 10)
            self.stderr.write(counts)
