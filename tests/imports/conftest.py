import pytest
from django.core.files.storage import storages

from imports import services


@pytest.fixture(autouse=True)
def _no_uploads_of_earlier_tests():
    """The uploads' folder is the run's (the worker shares it): each test starts with it empty."""
    storage = storages["imports"]
    for name in storage.listdir("")[1]:
        storage.delete(name)


@pytest.fixture
def import_file(tmp_path):
    """Import `data` (bytes) into `user`'s account as the command does; the finished import."""
    counter = iter(range(1_000_000))

    def run(user, data: bytes, *, format_hint: str = "", name: str = "export.json"):
        path = tmp_path / f"{next(counter)}-{name}"
        path.write_bytes(data)
        return services.conversation_import_file(user=user, path=str(path), format_hint=format_hint)

    return run
