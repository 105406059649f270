from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from tests.factories import UserFactory


def test_staff_see_users_in_the_admin(db, client: Client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    UserFactory(email="someone@example.com")
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert "someone@example.com" in response.content.decode()


def test_staff_can_add_a_user_in_the_admin(db, client: Client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "x9-long pass",
            "password2": "x9-long pass",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert admin.__class__.objects.filter(email="added@example.com").exists()


def user_with_chats(email: str, *, sessions: int, utterances_each: int):
    user = UserFactory(email=email)
    for number in range(sessions):
        session = session_create(user=user, title=f"Chat {number}")
        utterances_append(
            user=user,
            session_id=session.pk,
            utterances=[UtteranceIn(role="user", text=f"line {i}") for i in range(utterances_each)],
        )
    return user


def delete_page_queries(client: Client, user) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:accounts_user_delete", args=[user.pk]))
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_a_superuser_deletes_a_user_with_all_their_chats(db, client: Client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    doomed = user_with_chats("doomed@example.com", sessions=3, utterances_each=4)
    kept = user_with_chats("kept@example.com", sessions=1, utterances_each=2)
    client.force_login(admin)

    _, page = delete_page_queries(client, doomed)
    assert "3 chat sessions with 12 utterances" in page
    assert "permission" not in page

    response = client.post(reverse("admin:accounts_user_delete", args=[doomed.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not admin.__class__.objects.filter(pk=doomed.pk).exists()
    assert not Session.objects.filter(user=doomed).exists()
    assert not Utterance.objects.filter(user_id=doomed.pk).exists()
    assert Utterance.objects.filter(user=kept).count() == 2


def test_the_delete_confirmation_makes_the_same_queries_whatever_the_user_holds(db, client: Client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    small = user_with_chats("small@example.com", sessions=1, utterances_each=1)
    large = user_with_chats("large@example.com", sessions=20, utterances_each=30)
    client.force_login(admin)
    assert delete_page_queries(client, small)[0] == delete_page_queries(client, large)[0]


def test_the_bulk_delete_action_takes_users_with_their_chats(db, client: Client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    first = user_with_chats("first@example.com", sessions=2, utterances_each=2)
    second = user_with_chats("second@example.com", sessions=1, utterances_each=3)
    client.force_login(admin)
    picked = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}
    confirmation = client.post(reverse("admin:accounts_user_changelist"), picked)
    assert "3 chat sessions with 7 utterances" in confirmation.content.decode()

    client.post(reverse("admin:accounts_user_changelist"), {**picked, "post": "yes"})
    assert not admin.__class__.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert not Session.objects.exists()


def test_staff_without_session_rights_cannot_delete_a_user_who_has_chats(db, client: Client):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "delete_user"]))
    holder = user_with_chats("holder@example.com", sessions=1, utterances_each=1)
    client.force_login(clerk)
    response = client.post(reverse("admin:accounts_user_delete", args=[holder.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert admin_user_exists(holder)


def admin_user_exists(user) -> bool:
    return user.__class__.objects.filter(pk=user.pk).exists()
