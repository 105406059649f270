import pytest
from django.core.exceptions import ValidationError

from conversation.folders.services import folder_create, folder_update
from conversation.models import Folder
from tests.factories import PersonaFactory


def depths(owner) -> dict[str, tuple[str | None, int]]:
    return {f.name: (f.parent.name if f.parent else None, f.depth) for f in Folder.objects.filter(user=owner)}


def test_it_renames(owner):
    folder = folder_create(user=owner, name="Work")
    assert folder_update(user=owner, folder_id=folder.pk, name=" Job ").name == "Job"


def test_a_rename_to_a_siblings_name_in_another_case_is_refused(owner):
    folder_create(user=owner, name="Work")
    home = folder_create(user=owner, name="Home")
    with pytest.raises(ValidationError, match="already a folder named"):
        folder_update(user=owner, folder_id=home.pk, name="work")
    assert folder_update(user=owner, folder_id=home.pk, name="HOME").name == "HOME"


def test_a_move_takes_the_subtree_and_keeps_depths_exact(owner):
    a = folder_create(user=owner, name="a")
    b = folder_create(user=owner, name="b", parent_id=a.pk)
    folder_create(user=owner, name="c", parent_id=b.pk)
    folder_update(user=owner, folder_id=b.pk, parent_id=None)
    assert depths(owner) == {"a": (None, 1), "b": (None, 1), "c": ("b", 2)}
    folder_update(user=owner, folder_id=a.pk, parent_id=b.pk)
    assert depths(owner) == {"a": ("b", 2), "b": (None, 1), "c": ("b", 2)}


def test_a_move_that_would_pass_the_depth_limit_with_its_subfolders_is_refused(owner, settings):
    settings.MAX_FOLDER_DEPTH = 3
    a = folder_create(user=owner, name="a")
    b = folder_create(user=owner, name="b", parent_id=a.pk)
    x = folder_create(user=owner, name="x")
    folder_create(user=owner, name="y", parent_id=x.pk)
    with pytest.raises(ValidationError, match="more than 3 levels"):
        folder_update(user=owner, folder_id=x.pk, parent_id=b.pk)
    folder_update(user=owner, folder_id=x.pk, parent_id=a.pk)
    assert depths(owner)["y"] == ("x", 3)


def test_a_folder_cannot_go_inside_itself_or_its_subfolder(owner):
    a = folder_create(user=owner, name="a")
    b = folder_create(user=owner, name="b", parent_id=a.pk)
    for parent in (a, b):
        with pytest.raises(ValidationError, match="inside itself"):
            folder_update(user=owner, folder_id=a.pk, parent_id=parent.pk)
    assert depths(owner) == {"a": (None, 1), "b": ("a", 2)}


def test_a_move_next_to_a_folder_of_the_same_name_is_refused(owner):
    folder_create(user=owner, name="Notes")
    a = folder_create(user=owner, name="a")
    notes = folder_create(user=owner, name="notes", parent_id=a.pk)
    with pytest.raises(ValidationError, match="already a folder named"):
        folder_update(user=owner, folder_id=notes.pk, parent_id=None)


def test_another_users_folder_is_not_found_as_the_folder_or_the_parent(owner, outsider):
    mine = folder_create(user=owner, name="Mine")
    theirs = folder_create(user=outsider, name="Theirs")
    with pytest.raises(Folder.DoesNotExist):
        folder_update(user=owner, folder_id=theirs.pk, name="Taken")
    with pytest.raises(Folder.DoesNotExist):
        folder_update(user=owner, folder_id=mine.pk, parent_id=theirs.pk)
    assert Folder.objects.get(pk=theirs.pk).name == "Theirs"


def test_it_sets_and_clears_the_defaults(owner):
    persona = PersonaFactory()
    folder = folder_create(user=owner, name="Poems")
    folder = folder_update(user=owner, folder_id=folder.pk, persona=persona.slug, instructions="Rhyme.")
    assert (folder.persona_id, folder.instructions) == (persona.pk, "Rhyme.")
    folder = folder_update(user=owner, folder_id=folder.pk, persona=None, instructions="")
    folder.refresh_from_db()
    assert (folder.persona_id, folder.instructions) == (None, "")
