"""Every JSON door of the API, fed what a hostile account would send (Hypothesis): any JSON value,
and the endpoint's own fields holding any value (NUL, lone surrogates, numbers past 64 bits, NaN,
deep nestings). Each answer is a success or a 4xx with a message, never a 5xx, and a refused call
writes nothing.

The operations and their fields come from the OpenAPI schema, so a new endpoint is covered by
being documented; the few whose body the schema leaves out are named here.
"""

import io
import json

import pytest
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversation.folders.services import folder_create
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from conversation.tags.services import sessions_tag
from sharing.services import share_create
from tests.helpers import say, token_client

HOSTILE_STRINGS = ["\x00", "a\x00b", "\ud800", "x\udfff", "\u202e", "9" * 30, "-1", "1e400", "é" * 300, ""]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(HOSTILE_STRINGS)
)
BOUNDARIES = ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "0", "-1", "1e3", "true"]
query_values = (
    st.text(max_size=30) | st.integers(min_value=-(2**80), max_value=2**80).map(str) | st.sampled_from(BOUNDARIES)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)

# Bodies the schema does not describe (DELETE with a body).
UNDOCUMENTED_FIELDS = {("delete", "/api/account/"): ["password"]}


def _schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


def _fields(document: dict, operation: dict) -> list[str]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    return sorted(body.get("properties", {}))


def _operations() -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path, body fields, query parameters) of every operation that reads input."""
    document = _schema()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            fields = _fields(document, operation) or UNDOCUMENTED_FIELDS.get((method, path), [])
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            json_body = "application/json" in operation.get("requestBody", {}).get("content", {})
            if json_body or fields or query:
                found.append((method, path, fields, query))
    return found


OPERATIONS = _operations()


def test_the_harness_covers_the_doors_that_take_json():
    covered = {(method, path) for method, path, _, _ in OPERATIONS}
    assert {
        ("post", "/api/sessions/save/"),
        ("post", "/api/sessions/{session_id}/utterances/"),
        ("post", "/api/sessions/{session_id}/reply/"),
        ("post", "/api/sessions/{session_id}/utterances/{seq}/edit/"),
        ("patch", "/api/sessions/{session_id}/"),
        ("post", "/api/sessions/bulk/"),
        ("post", "/api/auth/token/"),
        ("patch", "/api/account/settings/"),
        ("delete", "/api/account/"),
        ("get", "/api/sessions/{session_id}/utterances/"),
    } <= covered


@pytest.fixture
def unthrottled(settings):
    rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.AXES_FAILURE_LIMIT = 100000


def _bodies(fields: list[str]):
    if not fields:
        return json_values
    return json_values | st.fixed_dictionaries({}, optional=dict.fromkeys(fields, json_values))


def _written() -> tuple[int, int]:
    return Session.objects.count(), Utterance.objects.count()


@pytest.mark.parametrize(
    ("method", "path", "fields", "query"), OPERATIONS, ids=[f"{method} {path}" for method, path, _, _ in OPERATIONS]
)
def test_any_input_is_answered_without_a_server_error(owner, unthrottled, method, path, fields, query):
    api = token_client(owner)
    session = session_create(user=owner, title="Target")
    say(owner, session, "first")
    folder = folder_create(user=owner, name="Target folder")
    sessions_tag(user=owner, session_ids=[session.pk], names=["target"])
    tag_id = owner.chat_tags.get().pk
    share = share_create(user=owner, session_id=session.pk)
    url = path.format(
        session_id=session.pk,
        seq=1,
        export_id=session.pk,
        import_id=session.pk,
        token_id=session.pk,
        folder_id=folder.pk,
        tag_id=tag_id,
        share_id=share.pk,
    )

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=_bodies(fields), params=st.dictionaries(st.sampled_from(query or ["x"]), query_values))
    def check(body, params):
        before = _written()
        call = getattr(api, method)
        if method == "get":
            response = call(url, params, HTTP_ACCEPT="application/json")
        else:
            raw = json.dumps(body, allow_nan=True)  # NaN and lone surrogates go out as a client may send them
            query_string = "&".join(f"{k}={v}" for k, v in params.items() if v.lstrip("-").isalnum())
            full = f"{url}?{query_string}" if query_string else url
            response = call(full, raw, content_type="application/json", HTTP_ACCEPT="application/json")
        assert response.status_code < 500, (method, url, body, params, response.content[:300])
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), response.content[:300]
            assert response.json()["detail"], response.content[:300]
            if response.status_code != 409:  # a busy session's retry may have stored its message before
                assert _written() == before, (method, url, body)

    check()
