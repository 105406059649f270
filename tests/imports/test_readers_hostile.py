"""Every import reader fed what a hostile file holds (Hypothesis): each format's samples with any of
their values replaced by any JSON value (NUL, lone surrogates, numbers past 64 bits, deep nestings)
or taken out, any JSON at all, and random bytes, as JSON and in zips. Each is read, or refused as a
file with a reason, and each conversation read is imported or fails with its reason: never an
unhandled exception. A new format gets this by adding its samples to SAMPLES."""

import copy
import io
import json
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imports import formats, source
from tests.imports import samples

HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "",
    " ",
    "00000000-0000-0000-0000-000000000000",
    "u1",
    "a1",
    "h1",
    "#0",
    "9" * 30,
    "2024-05-01T08:00:00.000Z",
    "9999-12-31T23:59:59Z",
    "x" * 300,
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(HOSTILE_STRINGS)
)
keys = st.text(max_size=10) | st.sampled_from(["id", "children", "parent", "content", "text", "role"])
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=10) | st.sampled_from(["id", "children", "parent", "content"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


def ours_session(session_id: str = "7a4a5f5e-2f5a-4b8e-9a57-2f0d1d1f2c3a") -> dict:
    """One session as this product's export writes it (conversation/exports.py: session_json)."""
    return {
        "session": {
            "id": session_id,
            "title": "Ours",
            "head_seq": 2,
            "created_at": "2024-05-01T08:00:00Z",
            "last_activity_at": "2024-05-01T08:00:01Z",
            "persona": {"slug": "default", "name": "Default Assistant"},
            "metadata": {},
        },
        "messages": [
            {"seq": 1, "parent_seq": None, "role": "user", "text": "Hi", "created_at": "2024-05-01T08:00:00Z"},
            {"seq": 2, "parent_seq": 1, "role": "assistant", "text": "Hello", "metadata": {"model": "m"}},
        ],
    }


def ours_zip(sessions: list) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = [{"json": f"sessions/{n}.json", "pinned_at": None} for n in range(len(sessions))]
        archive.writestr("manifest.json", json.dumps({"format": "chat-account-export", "sessions": entries}))
        for n, session in enumerate(sessions):
            archive.writestr(f"sessions/{n}.json", encoded(session, ascii_only=True))
    return out.getvalue()


def encoded(value, *, ascii_only: bool) -> bytes:
    """As a file would hold it: a lone surrogate written raw is bytes no UTF-8 decoder takes."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# Each reader's samples, and how a zip of them is packed (None: that format has no zip).
SAMPLES = {
    "chatgpt": (lambda: [samples.chatgpt_trip(), samples.chatgpt_linear("plain")], samples.chatgpt_zip),
    "claude": (lambda: [samples.claude_linear(), samples.claude_tree()], samples.claude_zip),
    "openwebui": (lambda: [samples.openwebui_chat()], None),
    "librechat tree": (samples.librechat_tree, None),
    "librechat flat": (lambda: [samples.librechat_flat()], None),
    "ours": (ours_session, None),
    "ours zip": (lambda: [ours_session()], ours_zip),
}


def _paths(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*path, key))


def mutated(data, value):
    """`value` with one to three of its values replaced by any JSON value, or taken out."""
    value = copy.deepcopy(value)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(value))))
        if not path:
            value = data.draw(json_values)
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    return value


def hostile_file(data) -> bytes:
    kind = data.draw(st.sampled_from(sorted(SAMPLES)))
    build, pack = SAMPLES[kind]
    value = mutated(data, build())
    if pack is not None and isinstance(value, list):
        return pack(value)
    return encoded(value, ascii_only=data.draw(st.booleans()))


def read_whole(data: bytes) -> None:
    """Read every conversation and its tree: only the readers' own refusals may come out."""
    try:
        reader = formats.conversations_open(io.BytesIO(data))
        for conversation in reader.conversations:
            if not conversation.problem:
                try:
                    tree = source.conversation_tree(conversation)
                except source.ConversationProblem:
                    continue
                assert tree.head_id in {message.id for message in tree.messages} | {None}
    except formats.ImportFileError as exc:
        reason = str(exc)
        assert reason


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.data())
def test_every_reader_reads_or_refuses_its_samples_mutated(data):
    read_whole(hostile_file(data))


@FAST
@given(json_values, st.booleans(), st.booleans())
def test_any_json_is_read_or_refused(value, in_an_array, ascii_only):
    read_whole(encoded([value] if in_an_array else value, ascii_only=ascii_only))


@FAST
@given(st.binary(max_size=400), st.sampled_from([b"", b"PK", b"[", b'[{"mapping": ', b'{"session": ']))
def test_random_bytes_are_read_or_refused(noise, start):
    read_whole(start + noise)


@FAST
@given(st.binary(max_size=400), st.sampled_from(["conversations.json", "conversations-000.json", "manifest.json"]))
def test_a_zip_of_random_bytes_is_refused_with_a_reason(noise, member):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, noise)
    read_whole(out.getvalue())
    packed = out.getvalue()
    read_whole(packed[: len(packed) // 2])  # cut short


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_conversation_of_a_hostile_file_imports_or_fails_with_its_reason(owner, import_file, data):
    job = import_file(owner, hostile_file(data))

    assert job.status in ("done", "failed")
    assert job.status == "done" or job.error
    rows = list(job.rows.values_list("result", "error"))
    assert len(rows) == job.conversations_done
    assert all(error for result, error in rows if result == "failed")
