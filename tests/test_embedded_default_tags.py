"""Tags on the embedded default (SQLite): the services keep tag_names exact, the API's filter and
suggestions answer as on PostgreSQL; in a subprocess, as tests/test_embedded_default.py runs the
core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rest_framework.test import APIClient
from accounts.models import User
from conversation.models import Session, SessionTag, Tag
from conversation.sessions.create import session_create
from conversation.tags.services import sessions_tag, sessions_untag, tag_delete, tag_rename
user = User.objects.create_user(email="lite@example.com", password="x")
a, b, c = (session_create(user=user, title=t) for t in "abc")
sessions_tag(user=user, session_ids=[a.pk, b.pk], names=["Trip", "zeta", "alpha"])
sessions_tag(user=user, session_ids=[c.pk], names=["TRIP"])
sessions_untag(user=user, session_ids=[b.pk], names=["zeta"])
tag_rename(user=user, tag_id=Tag.objects.get(name="alpha").pk, name="Beta")
tag_delete(user=user, tag_id=Tag.objects.get(name="zeta").pk)
for session in Session.objects.all():
    linked = SessionTag.objects.filter(session=session).values_list("tag__name", flat=True)
    assert session.tag_names == sorted(linked, key=lambda n: (n.casefold(), n)), session.tag_names
assert Session.objects.get(pk=a.pk).tag_names == ["Beta", "Trip"]
client = APIClient(SERVER_NAME="localhost")
client.force_authenticate(user)
titles = [s["title"] for s in client.get("/api/sessions/", {"tag": "trip", "limit": 2}).json()["results"]]
assert titles == ["c", "b"], titles
assert [t["name"] for t in client.get("/api/tags/", {"prefix": "tR"}).json()["results"]] == ["Trip"]
response = client.put(f"/api/sessions/{a.pk}/tags/", {"tags": ["x", "TRIP"]}, format="json")
assert response.json() == {"tags": ["Trip", "x"]}, response.json()
print("ok", Tag.objects.count())
"""


def test_tags_keep_exact_and_filter_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["ok", "3"]
