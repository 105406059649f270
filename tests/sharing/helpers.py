"""Chats and links for the sharing tests, made through the real services."""

from conversation.branches.edits import utterance_edit
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create


def chat(user, *, title: str = "Bread", texts: tuple = ("How long to proof?", "About **an hour**.")):
    """A chat of alternating user and assistant messages, with metadata no link may show."""
    session = session_create(user=user, title=title, metadata={"secret": "meta-value-session"})
    roles = ["user", "assistant"]
    utterances_append(
        user=user,
        session_id=session.pk,
        utterances=[
            UtteranceIn(role=roles[i % 2], text=text, metadata={"secret": "meta-value-utterance"})
            for i, text in enumerate(texts)
        ],
    )
    session.refresh_from_db()
    return session


def branched_chat(user):
    """A chat whose first message was edited: the old text lives on another branch only."""
    session = chat(user, texts=("Old branch question", "Old branch answer"))
    utterance_edit(user=user, session_id=session.pk, seq=1, text="New branch question")
    utterances_append(
        user=user, session_id=session.pk, utterances=[UtteranceIn(role="assistant", text="New branch answer")]
    )
    session.refresh_from_db()
    return session
