import pytest

from tests.conversation.titles.held import HELD


@pytest.fixture(autouse=True)
def held_tasks(settings):
    """Tasks enqueued are held for the test (tests/conversation/titles/held.py), never a worker's."""
    settings.TASKS = {
        "default": {
            "BACKEND": "tests.conversation.titles.held.HeldBackend",
            "QUEUES": settings.TASKS["default"]["QUEUES"],
        }
    }
    HELD.clear()
    yield HELD
    HELD.clear()


@pytest.fixture
def titles_model(openai_backend, settings):
    """The assistant on the test model server, titles by the model on; no hook left on the server."""
    settings.TITLES_BY_MODEL = True
    yield openai_backend
    openai_backend.on_request = None
