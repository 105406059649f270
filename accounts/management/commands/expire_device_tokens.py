from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import services


class Command(BaseCommand):
    help = "Delete device tokens past their expiry (they are refused already; this removes their rows)."

    def handle(self, *args, **options):
        deleted = services.device_tokens_delete_expired(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} expired device tokens."))
