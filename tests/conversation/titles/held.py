"""A task backend that keeps what is enqueued, from any thread, for the test to run when it chooses:
a reply stores itself on an ORM thread, where Django's DummyBackend would keep a list of its own."""

from django_tasks.backends.dummy import DummyBackend

HELD: list = []


class HeldBackend(DummyBackend):
    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.results = HELD


def held_run() -> list:
    """Run the tasks held so far, in the order they were enqueued; what each returned."""
    ran = [result.task.call(*result.args, **result.kwargs) for result in HELD]
    HELD.clear()
    return ran
