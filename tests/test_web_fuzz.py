"""Property-based fuzz of the HTTP API from its own OpenAPI schema (schemathesis).

Every generated request — valid or not — must be answered without a server error, and every 4xx
must carry a one-line ``detail`` message. Kept small (few examples per operation, no deadline) so
it runs in well under a minute; the comparison behind POST /api/jobs is the synthetic one.
"""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from conftest_browser import FakeBackend
from fentsim.web import create_app

APP = create_app(tempfile.mkdtemp(prefix="fentsim-fuzz-"), backend=FakeBackend())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def _has_message(response) -> None:
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body.get("detail"), str) and body["detail"].strip(), body


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_on_any_request(case):
    response = case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
    _has_message(response)
