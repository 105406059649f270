import pytest
from django.core.exceptions import ValidationError

from chatproject import live
from conversation.folders.services import folder_create
from conversation.models import Folder
from tests.factories import PersonaFactory


def test_it_makes_a_top_folder_with_a_trimmed_name(owner):
    folder = folder_create(user=owner, name="  Work  ")
    assert (folder.name, folder.depth, folder.parent_id) == ("Work", 1, None)


def test_a_subfolder_is_one_level_deeper(owner):
    top = folder_create(user=owner, name="Work")
    sub = folder_create(user=owner, name="Clients", parent_id=str(top.pk))
    assert (sub.parent_id, sub.depth) == (top.pk, 2)


def test_it_refuses_a_fourth_level(owner, settings):
    settings.MAX_FOLDER_DEPTH = 3
    parent = None
    for name in ("a", "b", "c"):
        parent = folder_create(user=owner, name=name, parent_id=parent.pk if parent else None)
    with pytest.raises(ValidationError, match="at most 3 levels"):
        folder_create(user=owner, name="d", parent_id=parent.pk)
    assert Folder.objects.filter(user=owner).count() == 3


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, None])
def test_it_refuses_a_name_that_is_empty_or_too_long(owner, name):
    with pytest.raises(ValidationError):
        folder_create(user=owner, name=name)


@pytest.mark.parametrize("name", ["two\nlines", "tab\there", "nul\x00", "\u202egnp.exe", "iso\u2066late", "par\u2029a"])
def test_it_refuses_a_name_with_a_control_or_direction_character(owner, name):
    with pytest.raises(ValidationError, match="one line"):
        folder_create(user=owner, name=name)
    assert not Folder.objects.filter(user=owner).exists()


def test_a_name_may_hold_an_emoji_joined_by_zero_width_joiners(owner):
    assert folder_create(user=owner, name="Family \U0001f468\u200d\U0001f469\u200d\U0001f467").name.endswith(
        "\U0001f467"
    )


def test_names_are_unique_among_siblings_in_any_case(owner):
    top = folder_create(user=owner, name="Work")
    with pytest.raises(ValidationError, match="already a folder named"):
        folder_create(user=owner, name="WORK")
    folder_create(user=owner, name="work", parent_id=top.pk)  # not a sibling: allowed
    with pytest.raises(ValidationError, match="already a folder named"):
        folder_create(user=owner, name="Work", parent_id=top.pk)


def test_another_users_folder_names_do_not_clash(owner, outsider):
    folder_create(user=outsider, name="Work")
    assert folder_create(user=owner, name="Work").name == "Work"


def test_the_database_constraint_is_a_clear_error_too(owner, monkeypatch):
    folder_create(user=owner, name="Work")
    monkeypatch.setattr("conversation.folders.services._name_check_unique", lambda **kwargs: None)
    with pytest.raises(ValidationError, match="already a folder named"):
        folder_create(user=owner, name="work")


def test_it_refuses_more_than_max_folders(owner, settings):
    settings.MAX_FOLDERS = 2
    folder_create(user=owner, name="a")
    folder_create(user=owner, name="b")
    with pytest.raises(ValidationError, match="2 folders"):
        folder_create(user=owner, name="c")


def test_another_users_parent_is_not_found(owner, outsider):
    theirs = folder_create(user=outsider, name="Theirs")
    with pytest.raises(Folder.DoesNotExist):
        folder_create(user=owner, name="Mine", parent_id=theirs.pk)
    with pytest.raises(Folder.DoesNotExist):
        folder_create(user=owner, name="Mine", parent_id="not-a-uuid")


def test_it_keeps_its_defaults(owner):
    persona = PersonaFactory()
    folder = folder_create(user=owner, name="Poems", persona=persona.slug, instructions=" Rhyme. ")
    assert (folder.persona, folder.instructions) == (persona, "Rhyme.")
    with pytest.raises(ValidationError):
        folder_create(user=owner, name="Other", persona="no-such-persona")


def test_every_tab_hears_the_new_tree(owner, monkeypatch):
    heard = []
    monkeypatch.setattr(live, "publish_after_commit", heard.extend)
    folder = folder_create(user=owner, name="Work")
    ((group, event),) = heard
    assert group == live.user_group(owner.pk)
    assert event["type"] == "folders.changed"
    assert [f["id"] for f in event["folders"]] == [str(folder.pk)]
