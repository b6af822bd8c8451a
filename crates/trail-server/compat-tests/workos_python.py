"""The unmodified `workos` Python SDK against a Trail server.

Run by `cargo test -p trail-cli --test compat_clients` with TRAIL_URL, WORKOS_KEY (an
organization's Trail API key), LIMITED_KEY (a second key of the same organization, used up by
the rate-limit check), ORG_ID and OTHER_ORG_ID in the environment. Prints one line per check and
`N passed, 0 failed` at the end; exits 1 when a check fails.
"""

import datetime
import os
import sys
import time
import traceback
import urllib.request
import uuid

import workos
from workos import WorkOSClient
from workos.audit_logs import RetentionPeriod, RetentionPeriodInDays
from workos.audit_logs.models import (
    AuditLogEvent,
    AuditLogEventActor,
    AuditLogEventContext,
    AuditLogEventTarget,
    AuditLogSchemaActor,
    AuditLogSchemaTarget,
)

URL = os.environ["TRAIL_URL"]
ORG = os.environ["ORG_ID"]
OTHER_ORG = os.environ["OTHER_ORG_ID"]
client = WorkOSClient(api_key=os.environ["WORKOS_KEY"], base_url=URL)
audit_logs = client.audit_logs
results = []


def check(name):
    def wrap(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok   {name}", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, then the run goes on
            results.append((name, traceback.format_exc()))
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        return fn

    return wrap


NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def event(action="user.signed_in", actor_id="user_jane", targets=None, **extra):
    return AuditLogEvent(
        action=action,
        occurred_at=NOW - datetime.timedelta(minutes=1),
        actor=AuditLogEventActor(
            id=actor_id, type="user", name="Jane Doe", metadata={"role": "owner"}
        ),
        targets=targets
        if targets is not None
        else [
            AuditLogEventTarget(id="team_core", type="team", name="Core"),
            AuditLogEventTarget(id="doc_9", type="document", metadata={"pages": 3}),
        ],
        context=AuditLogEventContext(location="203.0.113.7", user_agent="Python test"),
        metadata={"plan": "enterprise", "seats": 40, "trial": False},
        **extra,
    )


@check("create_event answers success")
def _():
    response = audit_logs.create_event(organization_id=ORG, event=event(version=1))
    assert response is None or getattr(response, "success", True), response


@check("an external id linked with `trail orgs link` names the organization")
def _():
    audit_logs.create_event(
        organization_id=os.environ["LINKED_ORG_ID"], event=event(actor_id="user_linked")
    )


IDEMPOTENCY_KEY = str(uuid.uuid4())


@check("create_event with the same Idempotency-Key twice stores it once")
def _():
    ev = event(action="document.shared", actor_id="user_idem")
    audit_logs.create_event(organization_id=ORG, event=ev, idempotency_key=IDEMPOTENCY_KEY)
    audit_logs.create_event(organization_id=ORG, event=ev, idempotency_key=IDEMPOTENCY_KEY)


@check("the same Idempotency-Key with another body is a ConflictError")
def _():
    try:
        audit_logs.create_event(
            organization_id=ORG,
            event=event(action="document.deleted", actor_id="user_idem"),
            idempotency_key=IDEMPOTENCY_KEY,
        )
    except workos.ConflictError as err:
        assert err.status_code == 409, err.status_code
    else:
        raise AssertionError("no ConflictError")


@check("an event without an action is a BadRequestError naming the field")
def _():
    try:
        audit_logs.create_event(organization_id=ORG, event=event(action=""))
    except workos.BadRequestError as err:
        assert err.status_code == 400
        assert err.code == "invalid_audit_log", err.code
        fields = [e["field"] for e in err.errors]
        assert "event.action" in fields, fields
    else:
        raise AssertionError("no BadRequestError")


@check("a location that is not an IP address names event.context.location")
def _():
    bad = event(action="user.signed_in", actor_id="user_bad_ip")
    bad.context = AuditLogEventContext(location="somewhere")
    try:
        audit_logs.create_event(organization_id=ORG, event=bad)
    except workos.BadRequestError as err:
        fields = [e["field"] for e in err.errors]
        assert "event.context.location" in fields, fields
    else:
        raise AssertionError("no BadRequestError")


@check("another organization is a NotFoundError")
def _():
    try:
        audit_logs.create_event(organization_id=OTHER_ORG, event=event(actor_id="user_other"))
    except workos.NotFoundError as err:
        assert err.status_code == 404
        assert err.code == "entity_not_found", err.code
    else:
        raise AssertionError("no NotFoundError")


@check("a wrong key is an AuthenticationError")
def _():
    bad = WorkOSClient(api_key="trail_sk_not_a_key", base_url=URL, max_retries=0)
    try:
        bad.audit_logs.create_event(organization_id=ORG, event=event(actor_id="user_badkey"))
    except workos.AuthenticationError as err:
        assert err.status_code == 401
    else:
        raise AssertionError("no AuthenticationError")


@check("too many events is a RateLimitExceededError with Retry-After")
def _():
    limited = WorkOSClient(api_key=os.environ["LIMITED_KEY"], base_url=URL, max_retries=0)
    for i in range(500):
        try:
            limited.audit_logs.create_event(
                organization_id=ORG, event=event(action="rate.probe", actor_id=f"user_rate_{i}")
            )
        except workos.RateLimitExceededError as err:
            assert err.status_code == 429
            assert err.retry_after is not None and err.retry_after >= 1, err.retry_after
            return
    raise AssertionError("never rate limited")


SCHEMA_ACTION = "team.renamed"


@check("create_schema makes version 1, the same schema keeps it, another makes version 2")
def _():
    targets = [AuditLogSchemaTarget(type="team", metadata={"type": "object", "properties": {"old": {"type": "string"}}})]
    actor = AuditLogSchemaActor(metadata={"type": "object", "properties": {"role": {"type": "string"}}})
    first = audit_logs.create_schema(SCHEMA_ACTION, targets=targets, actor=actor)
    assert first.version == 1, first.version
    assert first.targets[0].type == "team"
    assert first.actor.metadata["properties"]["role"]["type"] == "string"
    same = audit_logs.create_schema(SCHEMA_ACTION, targets=targets, actor=actor)
    assert same.version == 1, same.version
    second = audit_logs.create_schema(
        SCHEMA_ACTION,
        targets=targets,
        actor=actor,
        metadata={"type": "object", "properties": {"reason": {"type": "string"}}},
    )
    assert second.version == 2, second.version
    assert second.metadata["properties"]["reason"]["type"] == "string"


@check("list_actions and list_action_schemas show the schema")
def _():
    actions = audit_logs.list_actions(limit=100)
    names = [a.name for a in actions.data]
    assert SCHEMA_ACTION in names, names
    schemas = audit_logs.list_action_schemas(SCHEMA_ACTION)
    assert schemas.data[0].version == 2
    every = [a.name for a in audit_logs.list_actions(limit=1).auto_paging_iter()]
    assert every.count(SCHEMA_ACTION) == 1, every


@check("list_action_schemas of an unknown action is a NotFoundError")
def _():
    try:
        audit_logs.list_action_schemas("never.catalogued")
    except workos.NotFoundError:
        pass
    else:
        raise AssertionError("no NotFoundError")


@check("a schema target without a type is an UnprocessableEntityError")
def _():
    try:
        audit_logs.create_schema("bad.schema", targets=[AuditLogSchemaTarget(type="")])
    except workos.UnprocessableEntityError as err:
        assert err.status_code == 422
    else:
        raise AssertionError("no UnprocessableEntityError")


@check("retention: get, set in days and as a period, refuse other values")
def _():
    current = audit_logs.get_organization_audit_logs_retention(ORG)
    assert current.retention_period_in_days == 365, current
    updated = audit_logs.update_organization_audit_logs_retention(
        ORG, retention=RetentionPeriodInDays(retention_period_in_days=90)
    )
    assert updated.retention_period_in_days == 90
    updated = audit_logs.update_organization_audit_logs_retention(
        ORG, retention=RetentionPeriod(retention_period="2_YEARS")
    )
    assert updated.retention_period_in_days == 730
    assert audit_logs.get_organization_audit_logs_retention(ORG).retention_period_in_days == 730
    try:
        audit_logs.update_organization_audit_logs_retention(
            ORG, retention=RetentionPeriodInDays(retention_period_in_days=31)
        )
    except workos.UnprocessableEntityError as err:
        assert err.status_code == 422
    else:
        raise AssertionError("no UnprocessableEntityError")
    try:
        audit_logs.get_organization_audit_logs_retention(OTHER_ORG)
    except workos.NotFoundError:
        pass
    else:
        raise AssertionError("no NotFoundError")


@check("export: create with filters, poll until ready, download the CSV without a key")
def _():
    export = audit_logs.create_export(
        organization_id=ORG,
        range_start=NOW - datetime.timedelta(hours=1),
        range_end=NOW + datetime.timedelta(hours=1),
        actions=["user.signed_in", "document.shared"],
        actor_ids=["user_jane", "user_idem"],
        targets=["document"],
    )
    assert export.state == "pending", export.state
    assert export.url is None
    deadline = time.time() + 60
    while export.state == "pending" and time.time() < deadline:
        time.sleep(0.2)
        export = audit_logs.get_export(export.id)
    assert export.state == "ready", export.state
    assert export.url.startswith(URL), export.url
    with urllib.request.urlopen(export.url) as response:
        assert response.headers["Content-Type"].startswith("text/csv"), response.headers["Content-Type"]
        lines = response.read().decode().strip().splitlines()
    rows = lines[1:]
    assert len(rows) == 2, lines
    assert sum("user.signed_in" in r for r in rows) == 1, rows
    assert sum("document.shared" in r for r in rows) == 1, rows
    only_teams = audit_logs.create_export(
        organization_id=ORG,
        range_start=NOW - datetime.timedelta(hours=1),
        range_end=NOW + datetime.timedelta(hours=1),
        actor_names=["Nobody At All"],
    )
    assert only_teams.state == "pending"


@check("get_export of an unknown export is a NotFoundError")
def _():
    try:
        audit_logs.get_export("exp_unknown")
    except workos.NotFoundError:
        pass
    else:
        raise AssertionError("no NotFoundError")


failed = [name for name, error in results if error]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
