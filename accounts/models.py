import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from knox.models import AbstractAuthToken

from chatproject.jobs.models import Job


class UserManager(DjangoUserManager):
    """People sign in with their e-mail address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Log-in is case-insensitive on the address, as people type it.
        return self.get(email__iexact=username)


# The retention a user may choose (days without activity before a session goes to the trash);
# None keeps everything. The deployment's SESSION_RETENTION_DAYS, when set, caps it.
RETENTION_CHOICES = (30, 90, 365)


class User(AbstractUser):
    username = None
    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    retention_days = models.PositiveSmallIntegerField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            # Log-in and sign-up compare addresses case-insensitively; this keeps that exact.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(retention_days__isnull=True) | models.Q(retention_days__in=RETENTION_CHOICES),
                name="accounts_user_retention_days_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def shown_name(self) -> str:
        return self.display_name or self.email.split("@", 1)[0]


class DeviceToken(AbstractAuthToken):
    """One program's or device's API key (django-rest-knox): only its SHA-512 digest is stored.

    `public_id` names it in the API and on the account page (the digest never leaves the database);
    `last_used_at` is refreshed at most once per DEVICE_TOKEN_TOUCH_SECONDS.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "device token"
        indexes = [
            # device_token_list_for_user: WHERE user_id = ? ORDER BY created DESC.
            models.Index(fields=["user", "-created"], name="devicetoken_user_created_idx"),
            # expire_sessions' sweep of expired tokens: WHERE expiry < now.
            models.Index(fields=["expiry"], name="devicetoken_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AccountExport(Job):
    """A whole-account export: a zip built by a background job (account_data.tasks), its progress
    read by the page and the API while it runs, downloadable until `expires_at`."""

    stall_setting = "EXPORT_STALL_SECONDS"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exports")
    sessions_total = models.PositiveIntegerField(null=True, blank=True)
    sessions_done = models.PositiveIntegerField(default=0)
    utterances_done = models.PositiveBigIntegerField(default=0)
    # The zip's name in the "exports" storage, and its size in bytes, once done.
    file = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # account_export_list_for_user and the check for one in progress: WHERE user_id = ?
            # ORDER BY created_at DESC.
            models.Index(fields=["user", "-created_at"], name="accountexport_user_idx"),
            # expire_sessions' removal of downloads past their time: WHERE expires_at < now.
            models.Index(fields=["expires_at"], name="accountexport_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"
