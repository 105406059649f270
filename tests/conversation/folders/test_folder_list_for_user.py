import pytest

from conversation.folders.selectors import folder_get_for_user, folder_list_for_user
from conversation.folders.services import folder_create
from conversation.models import Folder


def test_it_lists_the_tree_each_folder_before_its_subfolders_siblings_by_name(owner, outsider):
    b = folder_create(user=owner, name="b")
    a = folder_create(user=owner, name="A")
    folder_create(user=owner, name="b2", parent_id=b.pk)
    folder_create(user=owner, name="a1", parent_id=a.pk)
    folder_create(user=outsider, name="theirs")
    assert [f.name for f in folder_list_for_user(user=owner)] == ["A", "a1", "b", "b2"]


def test_it_reads_the_tree_in_one_query(owner, django_assert_num_queries):
    for name in "abc":
        folder_create(user=owner, name=name)
    with django_assert_num_queries(1):
        [f.persona for f in folder_list_for_user(user=owner)]


def test_another_users_folder_is_not_found(owner, outsider):
    theirs = folder_create(user=outsider, name="theirs")
    with pytest.raises(Folder.DoesNotExist):
        folder_get_for_user(user=owner, folder_id=theirs.pk)
