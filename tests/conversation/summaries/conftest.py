import pytest

from conversation import inputs
from conversation.history.append import utterances_append
from conversation.summaries.maker import SUMMARY_INSTRUCTION


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
