import pytest
from django.db import connection

from conversation.folders.selectors import folder_get_for_user, folder_list_for_user
from conversation.folders.services import folder_create
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from conversation.sessions.lists import session_page_statement
from tests.helpers import generic_plan_of, plan_of


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


def test_a_folders_chats_are_read_in_order_from_the_folder_index(owner, outsider):
    folders = [folder_create(user=user, name=f"f{n}") for n in range(10) for user in (owner, outsider)]
    for n in range(200):
        session_create(user=folders[n % 20].user, folder=folders[n % 20].pk if n % 4 else None)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # as in test_session_page_for_user.py
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    statement = session_page_statement(view="live", persona=False, compare="<", newest_first=True, folder="id")
    folder = Folder.objects.filter(user=owner).first()
    values = [owner.pk, folder.pk, Session.objects.first().last_activity_at, 50, 0]
    for plan in (
        plan_of("conversation_session", statement.text(), values),
        generic_plan_of("conversation_session", statement.text(), values),
    ):
        assert "Index Scan using session_folder_activity_idx" in plan, plan
        assert "Sort" not in plan, plan
