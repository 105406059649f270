"""share_for_viewer, the access decision: every audience x viewer x state gets exactly the designed
answer (docs/sharing.md, "Who sees what")."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from conversation.sessions.lifecycle import session_delete, session_restore, session_trash
from sharing.models import Share
from sharing.selectors import share_for_viewer
from sharing.services import share_create, share_revoke, share_update
from tests.factories import UserFactory
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db

NAMED = "named@example.com"
# audience -> viewer -> (live, revoked, expired, wrong password)
EXPECTED = {
    "anyone": {
        "anonymous": (200, 410, 410, 401),
        "other": (200, 410, 410, 401),
        "named": (200, 410, 410, 401),
        "owner": (200, 410, 410, 200),
    },
    "signed_in": {
        "anonymous": (401, 401, 401, 401),
        "other": (200, 410, 410, 401),
        "named": (200, 410, 410, 401),
        "owner": (200, 410, 410, 200),
    },
    "named": {
        "anonymous": (401, 401, 401, 401),
        "other": (404, 404, 404, 404),
        "named": (200, 410, 410, 401),
        "owner": (200, 410, 410, 200),
    },
}
STATES = ("live", "revoked", "expired", "wrong password")


def link(owner, *, audience: str, state: str) -> Share:
    share = share_create(
        user=owner,
        session_id=chat(owner).pk,
        audience=audience,
        emails=[NAMED] if audience == "named" else None,
        password="right one" if state == "wrong password" else None,
    )
    if state == "revoked":
        share_revoke(user=owner, share_id=share.pk)
    if state == "expired":  # no clock to move: the expiry is set in the past directly
        Share.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return share


@pytest.mark.parametrize("audience", EXPECTED)
def test_every_viewer_gets_the_designed_answer_in_every_state(owner, outsider, audience):
    viewers = {"anonymous": AnonymousUser(), "other": outsider, "named": UserFactory(email=NAMED), "owner": owner}
    answers = {}
    for index, state in enumerate(STATES):
        share = link(owner, audience=audience, state=state)
        for name, viewer in viewers.items():
            password = "wrong one" if state == "wrong password" else None
            decision = share_for_viewer(share_id=share.pk, viewer=viewer, client=f"{name}-client", password=password)
            answers[name] = (*answers.get(name, ()), decision.status)
            if decision.status == 200:
                assert decision.share.pk == share.pk
        assert index == len(answers["owner"]) - 1
    assert answers == EXPECTED[audience]


def test_a_link_not_made_is_not_found(owner):
    for share_id in ("nope", "x" * 500, ""):
        assert share_for_viewer(share_id=share_id, viewer=owner, client="c").status == 404


def test_no_password_given_asks_for_it_and_the_right_one_opens_it(owner, outsider):
    share = link(owner, audience="anyone", state="wrong password")
    assert share_for_viewer(share_id=share.pk, viewer=outsider, client="c").reason == "password"
    opened = share_for_viewer(share_id=share.pk, viewer=outsider, client="c", password="right one")
    assert opened.status == 200
    assert opened.unlocked
    again = share_for_viewer(share_id=share.pk, viewer=outsider, client="c", unlocked=opened.unlocked)
    assert again.status == 200


def test_a_new_password_voids_what_visitors_kept(owner, outsider):
    from sharing.services import share_update

    share = link(owner, audience="anyone", state="wrong password")
    kept = share_for_viewer(share_id=share.pk, viewer=outsider, client="c", password="right one").unlocked
    share_update(user=owner, share_id=share.pk, password="another")
    assert share_for_viewer(share_id=share.pk, viewer=outsider, client="c", unlocked=kept).status == 401


def test_wrong_passwords_lock_the_client_out_of_that_link_only(owner, settings):
    settings.SHARE_PASSWORD_FAILURE_LIMIT = 3
    share = link(owner, audience="anyone", state="wrong password")
    other = link(owner, audience="anyone", state="wrong password")
    anonymous = AnonymousUser()
    for _ in range(3):
        assert share_for_viewer(share_id=share.pk, viewer=anonymous, client="a", password="bad").status == 401
    locked = share_for_viewer(share_id=share.pk, viewer=anonymous, client="a", password="right one")
    assert locked.status == 429
    assert share_for_viewer(share_id=share.pk, viewer=anonymous, client="b", password="right one").status == 200
    assert share_for_viewer(share_id=other.pk, viewer=anonymous, client="a", password="right one").status == 200


def test_trashing_the_chat_ends_its_links_at_once_and_restoring_brings_them_back(owner, outsider):
    share = link(owner, audience="anyone", state="live")
    session_trash(user=owner, session_id=share.session_id)
    assert share_for_viewer(share_id=share.pk, viewer=outsider, client="c").status == 410
    session_restore(user=owner, session_id=share.session_id)
    assert share_for_viewer(share_id=share.pk, viewer=outsider, client="c").status == 200


def test_purging_the_chat_or_erasing_the_account_removes_its_links(owner, outsider):
    from account_data.services import users_delete

    share = link(owner, audience="anyone", state="live")
    session_trash(user=owner, session_id=share.session_id)
    session_delete(user=owner, session_id=share.session_id)
    assert share_for_viewer(share_id=share.pk, viewer=outsider, client="c").status == 404
    kept = link(owner, audience="anyone", state="live")
    users_delete(user_ids=[owner.pk])
    assert share_for_viewer(share_id=kept.pk, viewer=outsider, client="c").status == 404


def test_an_address_named_before_its_account_existed_cannot_be_claimed_by_signing_up_with_it(owner):
    # Sign-up does not verify addresses: whoever signs up first with a named address that had no
    # account would otherwise read the link.
    share = share_create(user=owner, session_id=chat(owner).pk, audience="named", emails=[NAMED])
    claimant = UserFactory(email=NAMED)
    assert share_for_viewer(share_id=share.pk, viewer=claimant, client="c").status == 404

    share_update(user=owner, share_id=share.pk, emails=[NAMED])  # the owner saves the link again
    assert share_for_viewer(share_id=share.pk, viewer=claimant, client="c").status == 200
