"""The chat page's folders: the tree in the first HTML at a fixed number of queries, a folder's
chats as a sidebar fragment, the chats in no folder as the recency list."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.folders.services import folder_create
from conversation.sessions.create import session_create, session_update


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_page_renders_the_tree_with_the_same_queries_for_one_folder_or_thirty(owner, owner_client):
    top = folder_create(user=owner, name="Work")
    few, _ = queries_for(owner_client, "/")
    for n in range(10):
        sub = folder_create(user=owner, name=f"Project {n}", parent_id=top.pk)
        folder_create(user=owner, name="Notes", parent_id=sub.pk)
        folder_create(user=owner, name=f"Top {n}")
    count, body = queries_for(owner_client, "/")
    assert count == few
    assert body.count('class="folder"') == 31
    assert 'aria-label="Folder actions: Project 3"' in body


def test_a_chat_in_a_folder_is_under_its_folder_not_in_the_recency_list(owner, owner_client):
    folder = folder_create(user=owner, name="Work")
    inside = session_create(user=owner, title="Inside", folder=folder.pk)
    pinned = session_create(user=owner, title="Pinned inside", folder=folder.pk)
    session_update(user=owner, session_id=pinned.pk, pinned=True)
    session_create(user=owner, title="Outside")
    _, body = queries_for(owner_client, "/")
    recency = body.split('id="sessions"')[1].split("</ul>")[0]
    assert "Outside" in recency
    assert "Inside" not in recency
    _, rows = queries_for(owner_client, f"/sidebar/?folder={folder.pk}")
    assert f'data-id="{inside.pk}"' in rows
    assert "Pinned inside" not in rows  # in the Pinned group already


def test_another_users_folder_shows_no_chats_and_a_bad_id_is_a_400(owner, outsider, owner_client):
    theirs = folder_create(user=outsider, name="Theirs")
    session_create(user=outsider, title="Secret", folder=theirs.pk)
    _, rows = queries_for(owner_client, f"/sidebar/?folder={theirs.pk}")
    assert "Secret" not in rows
    assert owner_client.get("/sidebar/?folder=nonsense").status_code == 400
    _, tree = queries_for(owner_client, "/sidebar/folders/")
    assert "Theirs" not in tree
