"""Fuzz every operation of the OpenAPI schema with schemathesis: no input may produce a 500.

Driven through hypothesis directly (schemathesis' pytest plugin does not run on
this pytest version). Uploads and deletes are fuzzed without the admin key, so
they stop at the auth check and leave the shared index alone; they are tested
with the key in test_api.py. The read-only admin routes (``/v1/admin/...``) are
fuzzed with the key, so their inputs reach the route.

``SCHEMA_FUZZ_EXAMPLES`` sets the cases per operation (default 200, what CI runs).
"""

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "200"))


def _operations(base_url: str):
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_input_produces_a_server_error(live_service, test_settings):
    operations = _operations(live_service)
    assert len(operations) >= 8
    failures: list[str] = []
    statuses: list[int] = []

    per_operation: dict[str, int] = {}

    def record(case) -> None:
        read_only_admin = case.path.startswith("/v1/admin/")
        headers = {"X-API-Key": test_settings.admin_api_key.get_secret_value()} if read_only_admin else None
        response = case.call(base_url=live_service, timeout=60, headers=headers)
        statuses.append(response.status_code)
        label = f"{case.method} {case.path}"
        per_operation[label] = per_operation.get(label, 0) + 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

    started = time.perf_counter()
    for operation in operations:
        fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)(
            given(case=operation.as_strategy())(record)
        )
        fuzz()
    print(f"schemathesis: {len(statuses)} cases over {len(operations)} operations ({EXAMPLES} per operation) "
          f"in {time.perf_counter() - started:.0f} s; statuses {sorted(set(statuses))}; per operation {per_operation}")
    assert not failures, "\n".join(failures[:10])
    assert len(statuses) >= 5 * len(operations), "the fuzzer barely ran"
    assert {200, 422} <= set(statuses), "both valid and invalid inputs were generated"
