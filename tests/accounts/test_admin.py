from django.test import Client
from django.urls import reverse

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
