"""Schema fuzzing: schemathesis over the whole /api/openapi.json, in-process through WSGI.

Every operation, as the campaign office and as a liaison (bearer tokens), with data
generated from the schema — valid and invalid, NUL characters included — against a small
realistic data set (`api_world`) whose real ids are used in paths and replace generated
ids in queries and bodies, so requests get past 404s.
Checks: no 5xx; the status code is one the schema declares; the body and content type
conform to the declared response; input the schema forbids is refused with a 4xx.
Bounded: a few examples per operation and mode, no shrinking, derandomized (the same
cases every run), so it runs in the default `pytest` on SQLite and on PostgreSQL.

Written with hypothesis' own @given over each operation's strategy rather than
schemathesis' pytest decorators, which do not run under pytest 9 (they set a node
attribute pytest no longer has).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from duban.core.actors import SystemActor
from duban.core.validation import MAX_ID

TESTER = SystemActor("测试")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]
EXAMPLES = 10  # per operation and user (valid and invalid cases together)
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
)


def _real_ids(world) -> dict[str, object]:
    return {
        "problem_id": world["problem"].pk, "suggestion_id": world["suggestion"].pk, "unit_id": world["unit"].pk,
        "campaign_id": world["campaign"].pk, "focus_area_id": world["area"].pk, "evidence_id": world["evidence"].pk,
        "parent_id": world["unit"].pk, "under_id": world["unit"].pk, "supervisor_id": world["tree"]["root"].pk,
        "place_unit_id": world["unit"].pk, "code": world["suggestion"].tracking_code,
        "item_id": world["item"].pk, "lead_unit_id": world["unit"].pk, "project_id": world["project"].pk,
        "department_id": world["tree"]["dept"].pk, "round_id": world["round"].pk,
    }


def _use_real_ids(case, ids: dict[str, object]) -> None:
    """Swap generated *valid* ids in query and body for existing ones; invalid ones stay,
    they test refusal."""
    for values in (case.query, case.body):
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            if name in ids and isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
                values[name] = ids[name]


def _strategy(operation, ids):
    wanted = {p.name for p in operation.path_parameters}
    real_path = {name: ids[name] for name in wanted if name in ids}
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real_path or None),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.fixture
def keep_connection():
    """The WSGI app closes the database connection after each request (as in production);
    inside the test's transaction it must stay open, as Django's test client arranges."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("who", ["office", "liaison_a"])
def test_api_conforms_to_its_schema(api_world, who, settings, keep_connection):
    from django.core.wsgi import get_wsgi_application

    from duban.orgs.services import token_create

    settings.DUBAN_INTAKE_LIMITS = {"submit": (10**6, 60), "lookup": (10**6, 60), "rate": (10**6, 60)}
    headers = {"Authorization": f"Bearer {token_create(actor=TESTER, user=api_world['users'][who])}"}
    ids = _real_ids(api_world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    failures, n = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        n += 1

        @FUZZ_SETTINGS
        @given(case=_strategy(operation, ids))
        def run(case):
            _use_real_ids(case, ids)
            sid = transaction.savepoint()  # each case leaves the data set as it found it
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            finally:
                transaction.savepoint_rollback(sid)

        try:
            run()
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup: collect, report all at the end
            parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
            failures.append(f"{operation.label}: " + " | ".join(str(e)[:600] for e in parts))
    assert n >= 35  # the whole API was fuzzed
    assert not failures, f"{len(failures)} of {n} operations failed:\n\n" + "\n\n".join(failures)
