import pytest
from asgiref.sync import async_to_sync

from conversation import inputs
from conversation.db_threads import db_async
from conversation.history.append import utterances_append
from conversation.models import Session, Utterance
from conversation.replies.stream import ReplyDone, reply_events
from conversation.replies.turn import prompt_for_session, reply_begin
from conversation.summaries.maker import SUMMARY_INSTRUCTION
from tests.conversation.titles.held import HELD


@pytest.fixture
def small_context(settings):
    """A context so small that a few messages overflow it: 600 tokens, 100 of them the reply's."""
    settings.CONTEXT_MAX_TOKENS = 600
    settings.ASSISTANT_MAX_TOKENS = 100
    settings.SUMMARY_MAX_TOKENS = 100
    settings.SUMMARY_EVERY_MESSAGES = 10
    return settings


def chat(user, session, count: int, *, start: int = 1, words: int = 12, tag: str = "old") -> None:
    """`count` messages, user and assistant in turn, each `words` words naming its number."""
    batch = [
        inputs.UtteranceIn(
            role="user" if n % 2 else "assistant",
            text=f"{tag} message {n} " + " ".join(f"{tag}{n}word{i}" for i in range(words)) + ".",
        )
        for n in range(start, start + count)
    ]
    for at in range(0, len(batch), 500):  # MAX_BATCH_UTTERANCES
        utterances_append(user=user, session_id=session.pk, utterances=batch[at : at + 500])


def summary_calls(server) -> list[dict]:
    """The requests of the fake model server that asked for a summary."""
    return [r for r in server.requests if r["messages"][0]["content"] == SUMMARY_INSTRUCTION]


@pytest.fixture
def held(settings):
    """Jobs enqueued are held for the test (tests/conversation/titles/held.py): left in the database,
    the session's worker would take one while the test's data is flushed under it."""
    settings.TASKS = {"default": {"BACKEND": "tests.conversation.titles.held.HeldBackend", "QUEUES": ["context"]}}
    HELD.clear()
    yield HELD
    HELD.clear()


def reply(user, session, text: str, *, edit_seq: int | None = None) -> Utterance:
    """A turn through the real reply path (`edit_seq`: an edit of that user message): the reply stored."""

    async def go():
        turn = await db_async(reply_begin)(
            user=user, session_id=session.pk, text=text, client_id=None, edit_seq=edit_seq
        )
        return [event async for event in reply_events(user=user, turn=turn)]

    done = async_to_sync(go)()[-1]
    assert isinstance(done, ReplyDone)
    return done.utterance


def run_held(held) -> None:
    """The held jobs run as the worker would run them, with those they queue, until none is left."""
    while held:
        job = held.pop(0)
        job.task.call(*job.args, **job.kwargs)


def in_neither(session) -> int:
    """The active path's messages in neither the next prompt nor its summary."""
    session = Session.objects.select_related("persona").get(pk=session.pk)
    prompt = prompt_for_session(session=session)[0]
    summarized = prompt.summary.messages if prompt.summary is not None else 0
    return session.message_count - summarized - (len(prompt.included) - prompt.covered)
