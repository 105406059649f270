from django.core.management.base import BaseCommand
from django.utils import timezone

from imports import uploads


class Command(BaseCommand):
    help = (
        "Delete the uploads no import will read: those of finished, failed or stalled imports (a stalled "
        "one is marked failed), and those no import names. Run by the expiry timer."
    )
    requires_system_checks = []

    def handle(self, *args, **options):
        removed = uploads.conversation_import_uploads_sweep(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Removed {removed} import uploads no import will read."))
