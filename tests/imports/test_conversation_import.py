"""An import, conversation by conversation, through the real job and services: trees become branches,
whole or nothing, once, and a grown export adds only what is new."""

import io
import json
import threading
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from conversation.branches.edits import utterance_edit
from conversation.branches.head import session_switch
from conversation.history.pages import utterance_page
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create, session_update
from conversation.sessions.expiry import sessions_retention_due
from imports.models import ConversationImport
from tests.factories import PersonaFactory
from tests.helpers import say
from tests.imports import samples
from tests.imports.exports import account_export


def history(user, session) -> list[tuple[str, str]]:
    page = utterance_page(user=user, session_id=session.pk, limit=200)
    return [(row.role, row.text) for row in page.utterances]


def imported_session(user, source_id) -> Session:
    return Session.objects.get(user=user, origin__source_id=source_id)


def test_a_chatgpt_conversation_becomes_a_session_with_its_branches_its_head_and_its_times(owner, import_file):
    job = import_file(owner, samples.as_json([samples.chatgpt_trip()]))
    session = imported_session(owner, "conv-trip")

    assert (job.status, job.format, job.imported, job.failed, job.skipped_turns) == ("done", "chatgpt", 1, 0, 5)
    assert history(owner, session) == [
        ("user", "Where should I go in May?"),
        ("assistant", "Lisbon or Rome."),
        ("user", "Tell me about Lisbon"),
        ("assistant", "Lisbon: 22 °C and trams."),
        ("user", "What is this tram?"),
        ("assistant", "Tram 28."),
    ]
    assert (session.message_count, session.user_message_count, session.assistant_message_count) == (6, 3, 3)
    assert session.title == "May trip"
    assert session.metadata == {"import": {"source": "chatgpt", "id": "conv-trip"}}
    assert session.created_at == datetime.fromtimestamp(samples.T0, tz=UTC)
    assert session.last_activity_at == datetime.fromtimestamp(samples.T0 + 20, tz=UTC)
    first_question = Utterance.objects.get(session=session, client_id="import:u1")
    assert first_question.created_at == datetime.fromtimestamp(samples.T0 + 1, tz=UTC)
    # The question about Rome and its answer are kept, as the other alternative of the second question.
    rome = Utterance.objects.get(session=session, text="Tell me about Rome")
    lisbon = Utterance.objects.get(session=session, text="Tell me about Lisbon")
    assert rome.parent_seq == lisbon.parent_seq
    session_switch(user=owner, session_id=session.pk, seq=rome.seq)
    assert history(owner, session)[2:] == [("user", "Tell me about Rome"), ("assistant", "Rome: ruins and pasta.")]


def test_an_image_of_a_message_is_noted_in_its_metadata(owner, import_file):
    import_file(owner, samples.as_json([samples.chatgpt_trip()]))

    tram = Utterance.objects.get(client_id="import:u3")
    assert tram.metadata == {"attachments": [{"type": "image", "ref": "file-service://file-abc"}]}


def test_importing_the_same_file_twice_adds_nothing(owner, import_file):
    data = samples.chatgpt_zip([samples.chatgpt_trip(), samples.chatgpt_linear("plain")], files=2)
    import_file(owner, data, name="export.zip")

    again = import_file(owner, data, name="export.zip")

    assert (again.imported, again.present, again.failed, again.utterances) == (0, 2, 0, 0)
    assert Session.objects.filter(user=owner).count() == 2
    assert Utterance.objects.filter(user=owner).count() == 8 + 4
    assert [row.result for row in again.rows.order_by("position")] == ["present", "present"]


def test_a_grown_export_adds_only_the_new_messages(owner, import_file):
    import_file(owner, samples.as_json([samples.chatgpt_linear("grows", turns=2)]))
    before = imported_session(owner, "grows")

    later = import_file(owner, samples.as_json([samples.chatgpt_linear("grows", turns=3)]))

    session = imported_session(owner, "grows")
    assert session.pk == before.pk
    assert (later.imported, later.utterances) == (1, 2)
    assert later.rows.get().result == "updated"
    assert [text for _, text in history(owner, session)] == [
        f"{r} says {n} in grows" for n, r in enumerate(["user", "assistant"] * 3)
    ]
    assert (session.message_count, session.head_seq, session.last_seq) == (6, 6, 6)


def test_a_text_too_long_to_store_fails_its_conversation_only_and_says_why(owner, import_file, settings):
    settings.MAX_UTTERANCE_CHARS = 30
    long = samples.chatgpt_linear("long")
    long["mapping"]["m1"]["message"]["content"]["parts"] = ["x" * 31]

    job = import_file(owner, samples.as_json([long, samples.chatgpt_linear("ok", turns=1)]))

    assert (job.status, job.imported, job.failed) == ("done", 1, 1)
    failed = job.rows.get(result="failed")
    assert failed.source_id == "long"
    assert failed.error == "message 2: Text is 31 characters; the limit is 30."
    assert failed.session_id is None
    assert not Session.objects.filter(origin__source_id="long").exists()
    assert Utterance.objects.filter(user=owner).count() == 2


def test_a_file_cut_short_keeps_the_conversations_before_the_cut_and_fails_with_the_reason(owner, import_file):
    data = samples.as_json([samples.chatgpt_linear("first"), samples.chatgpt_linear("second")])

    job = import_file(owner, data[:-60])

    assert job.status == "failed"
    assert "cut short" in job.error
    assert (job.imported, job.conversations_done) == (1, 1)
    assert list(Session.objects.filter(user=owner).values_list("origin__source_id", flat=True)) == ["first"]


def test_a_corrupt_file_imports_nothing_and_says_so(owner, import_file):
    job = import_file(owner, b'[{"mapping": {"a": }]')

    assert job.status == "failed"
    assert "not valid JSON" in job.error
    assert "\n" not in job.error  # one sentence, not the parser's picture of where it stopped
    assert not Session.objects.filter(user=owner).exists()


def test_an_empty_conversation_is_kept_as_an_empty_chat(owner, import_file):
    job = import_file(owner, samples.as_json([samples.chatgpt_empty()]))

    session = imported_session(owner, "conv-empty")
    assert job.imported == 1
    assert (session.title, session.message_count, session.head_seq) == ("New chat", 0, None)


def test_a_conversation_without_a_title_gets_the_automatic_one(owner, import_file):
    import_file(owner, samples.as_json([samples.claude_tree()]))

    session = imported_session(owner, "claude-2")
    assert session.title == "Name a colour"
    assert history(owner, session) == [("user", "Name a colour"), ("assistant", "Blue")]


def test_an_old_chat_imported_today_is_not_moved_to_the_trash_by_the_next_expiry(owner, import_file):
    owner.retention_days = 30
    owner.save()
    import_file(owner, samples.as_json([samples.chatgpt_linear("2023", t=samples.T0)]))

    due = sessions_retention_due(now=timezone.now(), cap=None)
    later = sessions_retention_due(now=timezone.now() + timedelta(days=31), cap=None)

    assert not due.exists()
    assert later.count() == 1


def test_our_account_export_brought_into_another_account_gives_the_same_sessions(owner, outsider, import_file):
    bread = session_create(user=owner, title="Bread")
    say(owner, bread, "How long to proof?")
    say(owner, bread, "Overnight.", role="assistant")
    say(owner, bread, "And the oven?")
    say(owner, bread, "250 °C.", role="assistant")
    utterance_edit(user=owner, session_id=bread.pk, seq=3, text="And the flour?", client_id="e1")
    say(owner, bread, "Strong flour.", role="assistant")
    session_switch(user=owner, session_id=bread.pk, seq=4)
    say(owner, bread, "Thanks!")
    pinned = session_create(user=owner, title="Pinned", persona=PersonaFactory())
    say(owner, pinned, "Keep me")
    session_update(user=owner, session_id=pinned.pk, pinned=True)
    job = import_file(outsider, account_export(owner), name="chat-export.zip")

    assert (job.format, job.imported, job.failed, job.conversations_total) == ("ours", 2, 0, 2)
    for original in (Session.objects.get(pk=bread.pk), Session.objects.get(pk=pinned.pk)):
        copy = imported_session(outsider, str(original.pk))
        assert copy.title == original.title
        assert history(outsider, copy) == history(owner, original)
        assert tree_of(copy) == tree_of(original)
        assert rows_of(copy) == rows_of(original)  # the very seqs
        assert copy.message_count == original.message_count
        assert copy.persona == original.persona
        for moment in ("created_at", "last_activity_at", "pinned_at"):
            assert ms(getattr(copy, moment)) == ms(getattr(original, moment))


def ms(moment):
    """A time as exports write it: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment else None


def tree_of(session) -> set:
    """Every message with the one it follows, as (role, text, time): the tree, whatever the seqs."""
    rows = {u.seq: u for u in Utterance.objects.filter(session=session)}
    return {
        ((u.role, u.text, ms(u.created_at)), (rows[u.parent_seq].text if u.parent_seq else None)) for u in rows.values()
    }


def rows_of(session) -> list:
    return list(Utterance.objects.filter(session=session).order_by("seq").values_list("seq", "parent_seq", "text"))


def test_our_export_brought_back_into_its_own_account_adds_nothing(owner, import_file):
    bread = session_create(user=owner, title="Bread")
    say(owner, bread, "How long to proof?")
    job = import_file(owner, account_export(owner), name="chat-export.zip")

    assert (job.imported, job.present) == (0, 1)
    assert Session.objects.filter(user=owner).count() == 1


def test_a_zip_without_conversations_is_refused_with_the_reason(owner, import_file):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photos/cat.jpg", b"...")

    job = import_file(owner, out.getvalue(), name="photos.zip")

    assert job.status == ConversationImport.Status.FAILED
    assert "no conversations.json" in job.error


@pytest.mark.parametrize(
    ("data", "source_id", "texts"),
    [
        (samples.as_json([samples.openwebui_chat()]), "owui-1", ["Pick a number", "42", "[chart.png]"]),
        (samples.as_json(samples.librechat_tree()), "lc-1", ["Write a haiku", "Autumn moon / ..."]),
        (
            samples.claude_zip([samples.claude_linear()]),
            "claude-1",
            ["How long should dough proof?", "Overnight in the fridge.", "[crumb.jpg]", "A good open crumb."],
        ),
    ],
)
def test_every_format_imports_its_active_branch_as_the_head(owner, import_file, data, source_id, texts):
    job = import_file(owner, data)

    assert (job.imported, job.failed) == (1, 0)
    assert [text for _, text in history(owner, imported_session(owner, source_id))] == texts


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_of_one_conversation_at_once_store_it_once(owner, tmp_path):
    from django.db import connection

    from imports import services as import_services

    path = tmp_path / "conversations.json"
    path.write_bytes(samples.as_json([samples.chatgpt_trip(), samples.chatgpt_linear("plain", turns=50)]))
    start = threading.Barrier(2)
    jobs = []

    def run():
        try:
            start.wait()
            jobs.append(import_services.conversation_import_file(user=owner, path=str(path)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(job.imported for job in jobs) == 2
    assert sum(job.present for job in jobs) == 2
    assert Session.objects.filter(user=owner).count() == 2
    assert Utterance.objects.filter(user=owner).count() == 8 + 100
    trip = imported_session(owner, "conv-trip")
    assert trip.message_count == 6


def test_a_title_too_long_is_cut_at_a_word_and_the_conversation_kept(owner, import_file, settings):
    settings.MAX_TITLE_CHARS = 20
    chat = samples.chatgpt_linear("titled", title="A very long title about many different things")

    import_file(owner, samples.as_json([chat]))

    assert imported_session(owner, "titled").title == "A very long title…"


def test_a_session_export_whose_id_is_not_ours_is_imported_as_a_new_chat(owner, import_file):
    export = {"session": {"id": "not-a-uuid", "title": "Hand-made"}, "messages": [{"role": "user", "text": "hi"}]}

    job = import_file(owner, samples.as_json(export))

    assert (job.format, job.imported, job.failed) == ("ours", 1, 0)
    assert history(owner, imported_session(owner, "not-a-uuid")) == [("user", "hi")]


def unstorable_conversations() -> list[dict]:
    """One conversation for each value no database column keeps as it is, and a plain one."""
    long_id = samples.chatgpt_linear("x" * 201)
    nul_id = samples.chatgpt_linear("nul\x00id")
    nul_message_id = samples.chatgpt_linear("nul-message-id")
    mapping = nul_message_id["mapping"]
    mapping["m\x001"] = {**mapping.pop("m1"), "id": "m\x001"}
    mapping["m2"]["parent"] = "m\x001"
    nul_title = samples.chatgpt_linear("nul-title", title="Tea\x00 time")
    nul_text = samples.chatgpt_linear("nul-text")
    nul_text["mapping"]["m1"]["message"]["content"]["parts"] = ["Earl\x00 Grey"]
    return [long_id, nul_id, nul_message_id, nul_title, nul_text, samples.chatgpt_linear("plain")]


def test_a_value_no_column_keeps_fails_its_conversation_only_with_the_reason_or_is_cleaned(owner, import_file):
    job = import_file(owner, samples.as_json(unstorable_conversations()))

    assert (job.status, job.imported, job.failed, job.error) == ("done", 3, 3, "")
    report = list(job.rows.order_by("position").values_list("source_id", "title", "result", "error"))
    assert report == [
        ("x" * 200, "Chat", "failed", "Its id is 201 characters long; at most 200 can be kept."),
        ("nulid", "Chat", "failed", "Its id holds NUL characters or unpaired surrogates, which cannot be stored."),
        (
            "nul-message-id",
            "Chat",
            "failed",
            "The id of message 2 holds NUL characters or unpaired surrogates, which cannot be stored.",
        ),
        ("nul-title", "Tea time", "imported", ""),
        ("nul-text", "Chat", "imported", ""),
        ("plain", "Chat", "imported", ""),
    ]
    assert imported_session(owner, "nul-title").title == "Tea time"
    assert history(owner, imported_session(owner, "nul-text"))[1] == ("assistant", "Earl Grey")


def test_a_file_error_quoting_the_file_is_stored_without_its_nul(owner, import_file):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        manifest = {"format": "chat-account-export", "sessions": [{"json": "sessions/\x00.json"}]}
        archive.writestr("manifest.json", samples.as_json(manifest))

    job = import_file(owner, packed.getvalue(), name="export.zip")

    assert job.status == "failed"
    assert "\x00" not in job.error


def test_a_file_of_entries_that_are_no_conversations_stops_after_the_failure_bound(owner, import_file, settings):
    # Each entry would cost a report row: a file of a million of them must not cost a million rows.
    settings.IMPORT_MAX_FAILED_CONVERSATIONS = 3
    job = import_file(owner, samples.as_json([samples.chatgpt_linear("good"), *range(100)]))

    assert (job.status, job.imported, job.failed) == ("failed", 1, 4)
    assert "More than 3 conversations of this file could not be read" in job.error
    assert job.rows.count() == 5
    assert imported_session(owner, "good").message_count == 4


def test_a_file_of_more_conversations_than_one_import_takes_stops_there(owner, import_file, settings):
    settings.IMPORT_MAX_CONVERSATIONS = 2
    job = import_file(owner, samples.as_json([samples.chatgpt_linear(f"c{n}") for n in range(5)]))

    assert (job.status, job.imported) == ("failed", 2)
    assert "more than 2 conversations" in job.error
    assert Session.objects.filter(user=owner).count() == 2


def test_a_manifest_naming_one_member_twice_is_refused_after_its_first_reading(owner, outsider, import_file):
    # Each reading of a member costs its unpacking: a manifest naming a gigabyte member a thousand times
    # held a worker for as long as the job limits let it.
    session_create(user=owner, title="Bread")
    source = zipfile.ZipFile(io.BytesIO(account_export(owner)))
    manifest = json.loads(source.read("manifest.json"))
    manifest["sessions"] = manifest["sessions"] * 3
    doubled = io.BytesIO()
    with zipfile.ZipFile(doubled, "w") as archive:
        for name in source.namelist():
            archive.writestr(name, json.dumps(manifest) if name == "manifest.json" else source.read(name))

    job = import_file(outsider, doubled.getvalue(), name="chat-export.zip")

    assert (job.status, job.imported) == ("failed", 1)
    assert "twice" in job.error


def test_a_zip_whose_members_unpack_past_the_bound_in_all_is_refused(owner, import_file, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 5000
    data = samples.chatgpt_zip([samples.chatgpt_linear(f"c{n}", turns=20) for n in range(6)], files=3)

    job = import_file(owner, data, name="chatgpt.zip")

    assert (job.status, job.imported) == ("failed", 0)
    assert "unpacks to more than 5,000 bytes in all" in job.error
