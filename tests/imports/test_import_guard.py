"""The bounds of an imported file (imports/guard.py), refused as the file is read: nesting past
IMPORT_MAX_DEPTH, a string past IMPORT_MAX_STRING_BYTES; wherever a read splits the JSON."""

import io
import json
import zipfile

import pytest

from imports import formats, source
from imports.guard import BoundedStream, InputBoundError
from tests.budget import within_budget
from tests.imports import samples

# Every token JSON's strings can hold, at every place a read can split them.
TRICKY = json.dumps(
    {"a\\": ['x\\"]]]]}}', "\\", '"[[[{{', {"b": "é\\\\ \u2028 😀"}, [[[]]], ""]}, ensure_ascii=False
).encode()


def read_through(data: bytes, size: int, *, max_depth: int = 100, max_string_bytes: int = 1000) -> BoundedStream:
    stream = BoundedStream(io.BytesIO(data), max_depth=max_depth, max_string_bytes=max_string_bytes)
    while stream.read(size):
        pass
    return stream


def read(data: bytes) -> list[source.SourceConversation]:
    return list(formats.conversations_open(io.BytesIO(data)).conversations)


@pytest.mark.parametrize("size", range(1, 24))
def test_a_read_split_anywhere_follows_strings_escapes_and_brackets(size):
    stream = read_through(TRICKY, size)

    assert (stream.depth, stream.in_string, stream.escape_pending) == (0, False, False)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_brackets_inside_strings_do_not_count_and_one_level_more_is_refused(size):
    read_through(b'[["[[[[[[[[", {"k": "]]]"}]]', size, max_depth=3)
    with pytest.raises(InputBoundError, match="nests more than 3 levels"):
        read_through(b'[[[["x"]]]]', size, max_depth=3)


@pytest.mark.parametrize("size", [1, 2, 5, 64])
def test_a_string_is_measured_as_written_escapes_included_up_to_its_unescaped_quote(size):
    body = b'ab\\"cd\\\\'  # 8 bytes: the escaped quote does not end it, the escaped backslash is one escape
    read_through(b'["' + body + b'", "x"]', size, max_string_bytes=8)
    with pytest.raises(InputBoundError, match="text longer than 7 bytes"):
        read_through(b'["' + body + b'", "x"]', size, max_string_bytes=7)


def test_a_file_nested_past_the_limit_is_refused_with_the_reason(settings):
    settings.IMPORT_MAX_DEPTH = 8
    conversation = samples.chatgpt_linear("deep")
    conversation["mapping"]["m1"]["message"]["metadata"] = {"x": [[[[[[[[1]]]]]]]]}

    with pytest.raises(formats.ImportFileError, match="nests more than 8 levels deep"):
        read(samples.as_json([conversation]))


def test_a_string_longer_than_the_limit_is_refused_in_a_zip_too(settings):
    settings.IMPORT_MAX_STRING_BYTES = 1000
    conversation = samples.chatgpt_linear("long")
    conversation["title"] = "a" * 1001

    with pytest.raises(formats.ImportFileError, match="text longer than 1000 bytes"):
        read(samples.chatgpt_zip([conversation], files=1))
    conversation["title"] = "a" * 1000
    assert [c.title for c in read(samples.chatgpt_zip([conversation], files=1))] == ["a" * 1000]


def test_the_default_string_bound_keeps_the_longest_storable_text_even_escaped(settings):
    text = "😀" * settings.MAX_UTTERANCE_CHARS  # 12 bytes each as JSON's \ud83d\ude00
    conversation = samples.chatgpt_linear("emoji")
    conversation["mapping"]["m1"]["message"]["content"]["parts"] = [text]
    data = json.dumps([conversation], ensure_ascii=True).encode()

    [read_back] = read(data)

    assert text in [node.text for node in read_back.nodes]


def test_a_librechat_tree_nests_deeper_than_the_limit_and_is_read(settings):
    settings.IMPORT_MAX_DEPTH = 8
    tree = samples.librechat_tree("long-chain")
    node = tree["messagesTree"][0]
    for index in range(30):  # each reply nested in the message it answers: two levels a message
        child = {"messageId": f"c{index}", "parentMessageId": node["messageId"], "text": f"turn {index}"}
        child["isCreatedByUser"] = index % 2 == 1
        node["children"] = [child]
        node = child

    [conversation] = read(samples.as_json(tree))

    assert source.conversation_tree(conversation).head_id == "c29"


def test_the_issues_nested_file_fails_at_once_in_little_memory_at_the_default_limits():
    data = b'[{"mapping":' + b"[" * 60_000 + b"]" * 60_000 + b"}]"  # 120 KB: ~9 GB in ijson's paths

    def attempt() -> str:
        try:
            read(data)
        except formats.ImportFileError as exc:
            return str(exc)
        return "read"

    reason = within_budget(attempt, memory_mb=64, cpu_seconds=2, wall_seconds=20)

    assert "levels deep" in reason


def test_a_zip_of_one_long_string_fails_before_it_is_unpacked_whole():
    packed = io.BytesIO()
    with (
        zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("conversations.json", "w") as member,
    ):
        member.write(b'[{"mapping": {}, "title": "')
        for _ in range(64):  # 64 MB, packed to ~64 KB
            member.write(b"a" * (1 << 20))
        member.write(b'"}]')

    def attempt() -> str:
        try:
            read(packed.getvalue())
        except formats.ImportFileError as exc:
            return str(exc)
        return "read"

    assert "text longer than" in within_budget(attempt, memory_mb=64, cpu_seconds=2, wall_seconds=20)
