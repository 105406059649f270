"""manage.py import_conversations: an operator imports a file into an account."""

import io

import pytest
from django.core.management import CommandError, call_command

from conversation.models import Session
from tests.imports import samples


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_conversations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_the_file_shows_progress_and_prints_the_summary(owner, tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(samples.chatgpt_zip([samples.chatgpt_trip(), samples.chatgpt_linear("plain")], files=2))

    out, err = run("--user", "OWNER@example.com", str(path))

    assert out.splitlines()[0] == (
        "ChatGPT: 2 conversations read, 2 imported, 0 already present, 0 failed, 12 messages stored, "
        "5 hidden, tool or reasoning turns skipped."
    )
    assert err.splitlines()[-1] == "100% 2 conversations, 12 messages"
    assert Session.objects.filter(user=owner).count() == 2


def test_it_exits_non_zero_and_names_each_failed_conversation(owner, tmp_path, settings):
    settings.MAX_UTTERANCE_CHARS = 30
    long = samples.chatgpt_linear("long", title="Too long")
    long["mapping"]["m1"]["message"]["content"]["parts"] = ["x" * 31]
    path = tmp_path / "conversations.json"
    path.write_bytes(samples.as_json([long, samples.chatgpt_linear("fine")]))

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_conversations", "--user", owner.email, str(path), stdout=out, stderr=io.StringIO())

    assert exited.value.code == 1
    assert "1 imported, 0 already present, 1 failed" in out.getvalue()
    assert "  failed: #1 Too long: message 2: Text is 31 characters; the limit is 30." in out.getvalue()


def test_a_file_it_cannot_read_is_an_error_with_the_reason(owner, tmp_path):
    path = tmp_path / "notes.json"
    path.write_bytes(b'{"notes": []}')

    with pytest.raises(CommandError, match="no conversations this product can read"):
        run("--user", owner.email, str(path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.com", "x.json"], "No user with e-mail 'nobody@example.com'."),
        (["--user", "owner@example.com", "/no/such/file.json"], "Cannot read /no/such/file.json"),
    ],
)
def test_bad_arguments_are_errors_that_say_which(owner, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
