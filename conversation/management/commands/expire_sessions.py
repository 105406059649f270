from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from accounts.models import User
from conversation.management.base import ProductCommand, positive_int
from conversation.sessions import expiry


class Command(ProductCommand):
    help = (
        "Move to the trash the sessions inactive for longer than their owner's retention (pinned ones "
        "exempt), and remove for good those in the trash for longer than TRASH_RETENTION_DAYS, in "
        "batches, each its own short transaction. Safe to run while people chat."
    )
    # A cron job: the system checks belong to deployment (`check --deploy`), and running them on
    # every tick imports the whole URLconf, admin and API, which costs the cron process memory for nothing.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inactive-days",
            type=positive_int,
            default=None,
            help=(
                "Cap every owner's retention at this many days for this run (default: the "
                "SESSION_RETENTION_DAYS setting; unset, each owner's own choice alone)."
            ),
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
        cap = inactive_days or settings.SESSION_RETENTION_DAYS
        trash_days = trash_days or settings.TRASH_RETENTION_DAYS
        owner = None
        if user:
            owner = User.objects.filter(email__iexact=user).first()
            if owner is None:
                raise CommandError(f"No user with e-mail {user!r}.")
        now = timezone.now()
        trash_cutoff = now - timedelta(days=trash_days)
        scope = f" of {owner.email}" if owner else ""
        inactive = "inactive for longer than their owner's retention" + (f" (at most {cap} days)" if cap else "")
        in_trash = f"in the trash for more than {trash_days} days"

        if dry_run:
            sessions, utterances = expiry.sessions_retention_due_count(now=now, cap=cap, user=owner)
            self.stdout.write(
                f"Dry run: would move {sessions} sessions and {utterances} utterances{scope} to the trash, {inactive}."
            )
            sessions, utterances = expiry.trash_due_count(cutoff=trash_cutoff, user=owner)
            self.stdout.write(
                f"Dry run: would remove {sessions} sessions and {utterances} utterances{scope} {in_trash}."
            )
            return

        sessions, utterances, batches = self._run(
            lambda: expiry.sessions_retire_batch(now=now, cap=cap, user=owner, batch_size=batch_size),
            batch_size=batch_size,
            **options,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Moved {sessions} sessions and {utterances} utterances{scope} to the trash, {inactive}, "
                f"in {batches} batches."
            )
        )
        sessions, utterances, batches = self._run(
            lambda: expiry.trash_purge_batch(cutoff=trash_cutoff, user=owner, batch_size=batch_size),
            batch_size=batch_size,
            **options,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {sessions} sessions and {utterances} utterances{scope} {in_trash}, in {batches} batches."
            )
        )

    def _run(self, batch, *, batch_size, **options) -> tuple[int, int, int]:
        total_sessions = total_utterances = batches = 0
        while True:
            sessions, utterances = batch()
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
