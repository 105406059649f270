"""Our own account export of a user, as the account page's job writes it: the bytes of its zip."""

import io

from django.utils import timezone

from account_data.archive import account_archive_write


def account_export(user) -> bytes:
    out = io.BytesIO()
    account_archive_write(user=user, out=out, exported_at=timezone.now(), progress=lambda *_: None)
    return out.getvalue()
