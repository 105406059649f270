"""Each format as found, read into conversations: roles, texts, skipped turns, attachments, times,
trees and heads; the format detected from the content."""

import io
import json

import pytest

from imports import formats, parsers, source
from tests.imports import samples


def read(data: bytes, format_hint: str = "") -> tuple[str, list[source.SourceConversation]]:
    reader = formats.conversations_open(io.BytesIO(data), format_hint=format_hint)
    return reader.format, list(reader.conversations)


def kept(conversation) -> list[tuple[str, str, str | None]]:
    tree = source.conversation_tree(conversation)
    return [(m.role, m.text, tree.parents[m.id]) for m in tree.messages]


def test_it_reads_a_chatgpt_conversation_with_its_branches_and_leaves_out_hidden_turns():
    found, [conversation] = read(samples.as_json([samples.chatgpt_trip()]))
    tree = source.conversation_tree(conversation)

    assert found == "chatgpt"
    assert (conversation.id, conversation.title) == ("conv-trip", "May trip")
    assert [(m.id, m.role, tree.parents[m.id]) for m in tree.messages] == [
        ("u1", "user", None),
        ("a1", "assistant", "u1"),
        ("u2", "user", "a1"),
        ("a2", "assistant", "u2"),
        ("u2b", "user", "a1"),
        ("a2b", "assistant", "u2b"),  # after the reasoning, the tool call and its output, left out
        ("u3", "user", "a2b"),
        ("a3", "assistant", "u3"),
    ]
    assert tree.skipped == 5  # system, custom instructions, thoughts, the tool call, its output
    assert tree.head_id == "a3"


def test_it_keeps_the_text_of_a_multimodal_message_and_notes_its_image():
    _, [conversation] = read(samples.as_json([samples.chatgpt_trip()]))
    u3 = next(m for m in conversation.nodes if m.id == "u3")

    assert u3.text == "What is this tram?"
    assert u3.metadata == {"attachments": [{"type": "image", "ref": "file-service://file-abc"}]}


def test_a_message_without_a_time_takes_the_time_of_the_one_it_follows():
    _, [conversation] = read(samples.as_json([samples.chatgpt_trip()]))
    tree = source.conversation_tree(conversation)
    by_id = {m.id: m for m in tree.messages}

    assert by_id["a3"].created_at == by_id["u3"].created_at
    assert by_id["a1"].metadata == {"model": "gpt-4o"}


def test_it_reads_chatgpts_zip_split_over_several_files_in_order():
    conversations = [samples.chatgpt_linear(f"c{n}") for n in range(7)]
    found, read_back = read(samples.chatgpt_zip(conversations, files=3))

    assert found == "chatgpt"
    assert [c.id for c in read_back] == [f"c{n}" for n in range(7)]


def test_an_empty_chatgpt_conversation_has_no_messages():
    _, [conversation] = read(samples.as_json([samples.chatgpt_empty()]))
    tree = source.conversation_tree(conversation)

    assert (tree.messages, tree.skipped, tree.head_id) == ([], 0, None)


def test_it_reads_claude_with_attachments_reasoning_and_an_image_only_message():
    found, [conversation] = read(samples.as_json([samples.claude_linear()]))

    assert found == "claude"
    assert (conversation.id, conversation.title) == ("claude-1", "Sourdough")
    assert kept(conversation) == [
        ("user", "How long should dough proof?", None),
        ("assistant", "Overnight in the fridge.", "c1"),
        ("user", "[crumb.jpg]", "c2"),
        ("assistant", "A good open crumb.", "c3"),
    ]
    assert conversation.nodes[0].metadata == {"attachments": [{"type": "file", "name": "recipe.txt", "ref": ""}]}
    assert source.conversation_tree(conversation).skipped == 1  # the thinking part


def test_it_reads_claudes_tree_with_its_current_leaf():
    _, [conversation] = read(samples.claude_zip([samples.claude_tree()]))
    tree = source.conversation_tree(conversation)

    assert kept(conversation) == [
        ("user", "Name a colour", None),
        ("assistant", "Red", "q"),
        ("assistant", "Blue", "q"),
    ]
    assert tree.head_id == "r2"


def test_it_reads_open_webui_with_its_tree_and_current_message():
    found, [conversation] = read(samples.as_json([samples.openwebui_chat()]))
    tree = source.conversation_tree(conversation)

    assert found == "openwebui"
    assert kept(conversation) == [
        ("user", "Pick a number", None),
        ("assistant", "7", "q"),
        ("assistant", "42", "q"),
        ("user", "[chart.png]", "a2"),
    ]
    assert tree.head_id == "q2"
    assert conversation.created_at.year == 2024


def test_it_reads_librechat_nested_and_flat():
    found, [nested] = read(samples.as_json(samples.librechat_tree()))
    _, [flat] = read(samples.as_json(samples.librechat_flat()))

    assert found == "librechat"
    assert kept(nested) == [
        ("user", "Write a haiku", None),
        ("assistant", "Old pond / a frog jumps / splash", "h1"),
        ("assistant", "Autumn moon / ...", "h1"),
    ]
    assert source.conversation_tree(nested).head_id == "h3"  # no current node: the newest message
    assert source.conversation_tree(nested).skipped == 1
    assert kept(flat) == [("user", "Hi", None), ("assistant", "Hello!", "f1")]


def test_a_conversation_whose_parents_loop_is_refused_alone():
    looped = samples.chatgpt_linear("loop")
    looped["mapping"]["root"]["parent"] = "m3"
    _, [bad, good] = read(samples.as_json([looped, samples.chatgpt_linear("fine")]))

    with pytest.raises(source.ConversationProblem, match="loop"):
        source.conversation_tree(bad)
    assert len(source.conversation_tree(good).messages) == 4


def test_a_format_hint_that_does_not_match_is_refused():
    with pytest.raises(formats.ImportFileError, match="Claude"):
        read(samples.as_json([samples.chatgpt_linear("c")]), format_hint="claude")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html>", "not valid JSON"),
        (json.dumps([{"hello": "world"}]).encode(), "no conversations this product can read"),
        (b"PK\x03\x04 broken", "zip file cannot be read"),
    ],
)
def test_a_file_of_nothing_it_reads_is_refused_with_the_reason(data, message):
    with pytest.raises(formats.ImportFileError, match=message):
        read(data)


def test_a_file_cut_short_reads_up_to_the_cut_then_says_so():
    data = samples.as_json([samples.chatgpt_linear("first"), samples.chatgpt_linear("second")])
    reader = formats.conversations_open(io.BytesIO(data[: len(data) - 40]))
    conversations = reader.conversations

    assert next(conversations).id == "first"
    with pytest.raises(formats.ImportFileError, match="cut short"):
        next(conversations)


def nulled_copies(value, path=()):
    """Copies of `value` with one field at a time set to null, or left out: every gap a version of a
    format may have."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key, "null"), {**value, key: None}
            yield (*path, key, "missing"), {k: v for k, v in value.items() if k != key}
            for subpath, changed in nulled_copies(item, (*path, key)):
                yield subpath, {**value, key: changed}
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index, "null"), [*value[:index], None, *value[index + 1 :]]
            for subpath, changed in nulled_copies(item, (*path, index)):
                yield subpath, [*value[:index], changed, *value[index + 1 :]]


@pytest.mark.parametrize(
    ("source_format", "sample"),
    [
        ("chatgpt", samples.chatgpt_trip()),
        ("claude", samples.claude_linear()),
        ("claude", samples.claude_tree()),
        ("openwebui", samples.openwebui_chat()),
        ("librechat", samples.librechat_tree()),
        ("librechat", samples.librechat_flat()),
    ],
)
def test_any_field_null_or_missing_is_tolerated_or_reported_never_a_crash(source_format, sample):
    tried = 0
    for path, changed in nulled_copies(sample):
        try:
            conversation = parsers.PARSERS[source_format](changed)
            source.conversation_tree(conversation)
        except source.ConversationProblem:
            pass
        except Exception as exc:  # pragma: no cover - the failure names the field
            raise AssertionError(f"{source_format}: {path} -> {exc!r}") from exc
        tried += 1
    assert tried > 20


def test_a_zip_cut_short_in_its_conversations_is_a_file_error():
    data = samples.chatgpt_zip([samples.chatgpt_linear(f"c{n}", turns=40) for n in range(30)], files=1)
    damaged = bytearray(data)
    start = data.index(b"conversations-000.json") + 200
    damaged[start : start + 400] = b"\x00" * 400  # the member's compressed bytes, spoiled

    with pytest.raises(formats.ImportFileError, match="damaged or cut short"):
        list(formats.conversations_open(io.BytesIO(bytes(damaged))).conversations)


def test_a_zip_member_that_unpacks_past_the_limit_is_refused_before_it_is_read(settings):
    settings.IMPORT_MAX_MEMBER_BYTES = 1000
    data = samples.chatgpt_zip([samples.chatgpt_linear(f"c{n}", turns=20) for n in range(5)], files=1)

    with pytest.raises(formats.ImportFileError, match="unpacks to more than 1000 bytes"):
        formats.conversations_open(io.BytesIO(data))


def test_a_librechat_tree_without_a_current_node_is_headed_at_its_newest_leaf():
    tree = samples.librechat_tree("lc-edited")
    first = tree["messagesTree"][0]
    first["createdAt"] = "2024-05-01T08:05:00.000Z"  # written after its replies' clock
    edited = first["children"][1]
    del edited["createdAt"]  # an edited branch without a time: it takes its parent's
    edited["children"] = [
        {
            "messageId": "h4",
            "parentMessageId": "h3",
            "text": "Another",
            "isCreatedByUser": True,
            "createdAt": "2024-05-01T08:01:30.000Z",
        }
    ]
    _, [conversation] = read(samples.as_json(tree))

    tree = source.conversation_tree(conversation)

    assert tree.head_id == "h4"
    assert tree.head_id not in tree.parents.values()
