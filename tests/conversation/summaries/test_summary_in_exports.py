"""A session's export (conversation/exports.py, the API's and the account's) holds its summary."""

import json

import cmarkgfm
import pytest

from conversation.summaries.services import summary_edit, summary_refresh
from tests.conversation.summaries.conftest import chat
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


def exported(owner, session, export_format: str) -> str:
    response = token_client(owner).get(f"/api/sessions/{session.pk}/export/", {"format": export_format})
    assert response.status_code == 200
    return b"".join(list(response)).decode()


def test_the_json_export_holds_the_summary_or_null(owner, session, small_context):
    chat(owner, session, 4)
    assert json.loads(exported(owner, session, "json"))["summary"] is None
    chat(owner, session, 36, start=5)
    made = summary_refresh(session_id=session.pk).summary
    summary_edit(user=owner, session_id=session.pk, text="Plan B, agreed.")
    data = json.loads(exported(owner, session, "json"))
    assert data["summary"]["seq"] == made.seq
    assert data["summary"]["text"] == "Plan B, agreed."
    assert data["summary"]["messages"] == made.messages
    assert len(data["messages"]) == 40  # the messages follow, whole


def test_the_markdown_export_has_an_earlier_in_this_chat_section_before_the_messages(owner, session, small_context):
    chat(owner, session, 4, words=4)
    assert "Earlier in this chat" not in exported(owner, session, "markdown")
    chat(owner, session, 76, start=5, words=4)  # short lines: several fit the summary
    made = summary_refresh(session_id=session.pk).summary
    text = exported(owner, session, "markdown")
    lines = made.text.splitlines()
    assert len(lines) > 1
    shown = "  \n".join(lines)  # a hard break after each line: Markdown would join them into one paragraph
    assert cmarkgfm.github_flavored_markdown_to_html(shown).count("<br />") == len(lines) - 1
    section = f"## Earlier in this chat\n\n_A summary of the first {made.messages} messages_\n\n{shown}\n\n"
    assert section + "## Messages\n\n" in text  # the messages under a heading of their own, after it
    assert text.index(section) < text.index("### You")
    summary_edit(user=owner, session_id=session.pk, text="Rewritten by hand.")
    assert "messages, edited by its owner_\n\nRewritten by hand." in exported(owner, session, "markdown")
