from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from accounts.models import User
from conversation import selectors, services
from conversation.management.base import ProductCommand, positive_int


class Command(ProductCommand):
    help = (
        "Delete sessions (with their utterances) whose last activity is older than N days, and those in "
        "the trash for longer than TRASH_RETENTION_DAYS, in batches, each its own short transaction. "
        "Safe to run while people chat."
    )
    # A cron job: the system checks belong to deployment (`check --deploy`), and running them on
    # every tick imports the whole URLconf, admin and API, which costs the cron process memory for nothing.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inactive-days",
            type=positive_int,
            default=None,
            help="Age of the last activity, in days (default: the SESSION_RETENTION_DAYS setting).",
        )
        parser.add_argument(
            "--trash-days",
            type=positive_int,
            default=None,
            help="Time in the trash before removal for good, in days (default: the TRASH_RETENTION_DAYS setting).",
        )
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's sessions.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")
        parser.add_argument("--batch-size", type=positive_int, default=1000, help="Sessions per transaction (1000).")

    def handle(self, *args, inactive_days, trash_days, user, dry_run, batch_size, **options) -> None:
        days = inactive_days or settings.SESSION_RETENTION_DAYS
        trash_days = trash_days or settings.TRASH_RETENTION_DAYS
        owner = None
        if user:
            owner = User.objects.filter(email__iexact=user).first()
            if owner is None:
                raise CommandError(f"No user with e-mail {user!r}.")
        now = timezone.now()
        cutoff, trash_cutoff = now - timedelta(days=days), now - timedelta(days=trash_days)
        scope = f" of {owner.email}" if owner else ""
        inactive = f"inactive for more than {days} days"
        in_trash = f"in the trash for more than {trash_days} days"

        if dry_run:
            sessions, utterances = selectors.sessions_inactive_count(cutoff=cutoff, user=owner)
            self.stdout.write(
                f"Dry run: would remove {sessions} sessions and {utterances} utterances{scope} {inactive}."
            )
            sessions, utterances = selectors.trash_due_count(cutoff=trash_cutoff, user=owner)
            self.stdout.write(
                f"Dry run: would remove {sessions} sessions and {utterances} utterances{scope} {in_trash}."
            )
            return

        for batch, cut, what in (
            (services.sessions_expire_batch, cutoff, inactive),
            (services.trash_purge_batch, trash_cutoff, in_trash),
        ):
            sessions, utterances, batches = self._run(batch, cutoff=cut, user=owner, batch_size=batch_size, **options)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Removed {sessions} sessions and {utterances} utterances{scope} {what}, in {batches} batches."
                )
            )

    def _run(self, batch, *, cutoff, user, batch_size, **options) -> tuple[int, int, int]:
        total_sessions = total_utterances = batches = 0
        while True:
            sessions, utterances = batch(cutoff=cutoff, user=user, batch_size=batch_size)
            if sessions == 0:
                break
            batches += 1
            total_sessions += sessions
            total_utterances += utterances
            if options["verbosity"] > 1:
                self.stdout.write(f"  batch {batches}: {sessions} sessions, {utterances} utterances")
            if sessions < batch_size:
                break
        return total_sessions, total_utterances, batches
