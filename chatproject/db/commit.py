"""Side effects of a write that run once its transaction commits: cache writes, live events."""

from collections.abc import Callable

from django.db import transaction


def after_commit(func: Callable, /, **kwargs) -> None:
    """Run func(**kwargs) after the current transaction commits (at once outside a transaction).

    Robust: an error of it is logged with the write standing. It never turns a committed write into
    a failed request, and never keeps the other hooks of the same commit from running.
    """

    def hook() -> None:
        func(**kwargs)

    hook.__qualname__ = func.__qualname__  # Django's log line names the hook by it
    transaction.on_commit(hook, robust=True)
