from django.core.management.base import BaseCommand
from django.utils import timezone

from account_data import services


class Command(BaseCommand):
    help = "Remove the files of account exports past their time (EXPORT_TTL_HOURS); their rows stay as a record."

    def handle(self, *args, **options):
        removed = services.account_exports_expire(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Removed {removed} expired account exports."))
