from datetime import timedelta

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from accounts.models import User
from conversation import selectors, services
from conversation.management.base import ProductCommand, positive_int


class Command(ProductCommand):
    help = (
        "Delete sessions (with their utterances) whose last activity is older than N days, in batches, "
        "each its own short transaction. Safe to run while people chat."
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
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's sessions.")
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")
        parser.add_argument("--batch-size", type=positive_int, default=1000, help="Sessions per transaction (1000).")

    def handle(self, *args, inactive_days, user, dry_run, batch_size, **options) -> None:
        days = inactive_days or settings.SESSION_RETENTION_DAYS
        owner = None
        if user:
            owner = User.objects.filter(email__iexact=user).first()
            if owner is None:
                raise CommandError(f"No user with e-mail {user!r}.")
        cutoff = timezone.now() - timedelta(days=days)
        scope = f" of {owner.email}" if owner else ""

        if dry_run:
            sessions, utterances = selectors.sessions_inactive_count(cutoff=cutoff, user=owner)
            self.stdout.write(
                f"Dry run: would remove {sessions} sessions and {utterances} utterances{scope} "
                f"inactive for more than {days} days."
            )
            return

        total_sessions = total_utterances = batches = 0
        while True:
            sessions, utterances = services.sessions_expire_batch(cutoff=cutoff, user=owner, batch_size=batch_size)
            if sessions == 0:
                break
            batches += 1
            total_sessions += sessions
            total_utterances += utterances
            if options["verbosity"] > 1:
                self.stdout.write(f"  batch {batches}: {sessions} sessions, {utterances} utterances")
            if sessions < batch_size:
                break
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {total_sessions} sessions and {total_utterances} utterances{scope} "
                f"inactive for more than {days} days, in {batches} batches."
            )
        )
