"""The OpenAPI schema is valid and complete, and the live API keeps to it (schemathesis)."""

import io

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from chatproject.wsgi import application
from tests.helpers import token_client

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


def generated_schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_the_schema_validates_and_documents_every_endpoint_with_both_auth_schemes():
    document = generated_schema()
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert operations >= {
        ("/api/sessions/", "get"),
        ("/api/sessions/", "post"),
        ("/api/sessions/{session_id}/", "get"),
        ("/api/sessions/{session_id}/", "patch"),
        ("/api/sessions/{session_id}/", "delete"),
        ("/api/sessions/{session_id}/utterances/", "get"),
        ("/api/sessions/{session_id}/utterances/", "post"),
        ("/api/sessions/{session_id}/clear/", "post"),
        ("/api/sessions/{session_id}/export/", "get"),
        ("/api/sessions/{session_id}/context/", "get"),
        ("/api/sessions/{session_id}/reply/", "post"),
        ("/api/sessions/save/", "post"),
        ("/api/personas/", "get"),
        ("/api/stats/", "get"),
        ("/api/auth/token/", "post"),
        ("/api/auth/token/", "delete"),
        ("/api/auth/tokens/", "get"),
        ("/api/auth/tokens/{token_id}/", "delete"),
    }
    assert set(document["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    append = document["paths"]["/api/sessions/{session_id}/utterances/"]["post"]
    assert {"400", "401", "404", "413", "429"} <= set(append["responses"])


def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.fixture
def keep_the_test_connection():
    """Calling the WSGI app directly would close the test's connection at each request's end, as a
    real server does; the test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(owner, keep_the_test_connection) -> dict:
    client = token_client(owner)
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_live_api_keeps_to_its_schema(case, auth_headers):
    case.call_and_validate(
        headers=auth_headers,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
