import pytest
from rest_framework.test import APIClient

URL = "/api/account/settings/"


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


def test_a_new_account_keeps_its_chats_when_the_deployment_sets_no_cap(api, settings):
    settings.SESSION_RETENTION_DAYS = None
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "retention_days": None,
        "retention_days_effective": None,
        "retention_choices": [30, 90, 365, None],
    }


def test_it_saves_a_retention_choice(api, owner, settings):
    settings.SESSION_RETENTION_DAYS = None
    response = api.patch(URL, {"retention_days": 90}, format="json")
    assert response.status_code == 200
    assert response.json()["retention_days"] == 90
    assert response.json()["retention_days_effective"] == 90
    owner.refresh_from_db()
    assert owner.retention_days == 90
    assert api.patch(URL, {"retention_days": None}, format="json").json()["retention_days"] is None


def test_the_deployments_cap_limits_the_choices_and_the_effective_retention(api, owner, settings):
    settings.SESSION_RETENTION_DAYS = 90
    body = api.get(URL).json()
    assert body["retention_choices"] == [30, 90, None]
    assert body["retention_days_effective"] == 90

    response = api.patch(URL, {"retention_days": 365}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["retention_days"] == ["Choose one of 30, 90, null (keep)."]
    owner.refresh_from_db()
    assert owner.retention_days is None


def test_a_stored_choice_above_a_later_cap_is_capped(api, owner, settings):
    settings.SESSION_RETENTION_DAYS = None
    api.patch(URL, {"retention_days": 365}, format="json")
    settings.SESSION_RETENTION_DAYS = 30
    body = api.get(URL).json()
    assert body["retention_days"] == 365
    assert body["retention_days_effective"] == 30


@pytest.mark.parametrize("value", [7, "30", 30.0, True, [30]])
def test_it_refuses_what_is_not_a_choice(api, owner, settings, value):
    settings.SESSION_RETENTION_DAYS = None
    response = api.patch(URL, {"retention_days": value}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["retention_days"]
    owner.refresh_from_db()
    assert owner.retention_days is None


def test_an_empty_patch_changes_nothing(api, owner):
    api.patch(URL, {"retention_days": 30}, format="json")
    response = api.patch(URL, {}, format="json")
    assert response.status_code == 200
    assert response.json()["retention_days"] == 30


def test_it_needs_a_signed_in_user(db):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().patch(URL, {"retention_days": 30}, format="json").status_code == 401


def test_each_user_sees_and_changes_only_their_own(api, outsider):
    api.patch(URL, {"retention_days": 30}, format="json")
    outsider.refresh_from_db()
    assert outsider.retention_days is None
