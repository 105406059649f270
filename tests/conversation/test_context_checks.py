"""The context settings are checked at start, and a persona's own context in the admin."""

from conversation.admin import PersonaForm
from conversation.checks import context_leaves_room_for_a_prompt


def test_the_defaults_pass():
    assert context_leaves_room_for_a_prompt(None) == []


def test_it_refuses_a_reply_share_that_leaves_no_room_for_a_prompt(settings):
    settings.CONTEXT_MAX_TOKENS, settings.ASSISTANT_MAX_TOKENS, settings.SUMMARY_MAX_TOKENS = 4096, 4000, 10
    (error,) = context_leaves_room_for_a_prompt(None)
    assert error.id == "conversation.E003"
    assert "leaves 96 tokens for a prompt" in error.msg


def test_it_warns_of_a_summary_that_would_fill_half_the_prompt_without_stopping_the_workers(settings):
    settings.SUMMARY_MAX_TOKENS = 5000
    (warning,) = context_leaves_room_for_a_prompt(None)
    assert (warning.id, warning.is_serious()) == ("conversation.W001", False)


def form(**fields) -> PersonaForm:
    data = {"slug": "long", "name": "Long", "system_prompt": "x", "position": 1, **fields}
    return PersonaForm(data=data)


def test_the_admin_takes_a_persona_context_that_leaves_room(db):
    assert form(context_max_tokens=32000).is_valid()
    assert form(context_max_tokens="").is_valid()


def test_the_admin_refuses_a_persona_context_too_small_for_a_prompt(db, settings):
    settings.ASSISTANT_MAX_TOKENS = 2048
    bound = form(context_max_tokens=2100)
    assert not bound.is_valid()
    assert "Give at least 2304" in bound.errors["context_max_tokens"][0]
