"""The staff routes (list, queue, inspect; permissions, 404, bad input), the queued backup consumer
and the scheduled daily backup with its media, verification and pruning."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.backups import media, service, store
from chalicelib.platform import queue
from chalicelib.platform.aws import client as aws
from chalicelib.platform.config import settings
from tests.conftest import Api, login, make_user


def _drain_backup_queue() -> list[dict[str, Any]]:
    sqs, url, found = aws("sqs"), queue.queue_url(service.QUEUE), []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return found
        for message in got:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _run_jobs(client: Any, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        event = client.events.generate_sqs_event(message_bodies=[json.dumps(message)], queue_name=service.QUEUE)
        assert client.lambda_.invoke("backup_jobs", event).payload == {"batchItemFailures": []}


def test_staff_queue_list_and_inspect_a_manual_backup(client, admin_api, tenant):
    _drain_backup_queue()
    assert admin_api.get("/api/admin/backup").json == {"items": []}
    answer = admin_api.post("/api/admin/backup", {"kind": "manual"})
    assert answer.status_code == 202, answer.body
    assert answer.json["status"] == "queued" and answer.json["kind"] == "manual"
    backup_id = answer.json["id"]
    again = admin_api.post("/api/admin/backup", {})
    assert again.status_code == 409 and again.json["error"]["code"] == "backup_in_progress"

    messages = _drain_backup_queue()
    assert [m["backup_id"] for m in messages] == [backup_id]
    _run_jobs(client, messages)
    _run_jobs(client, messages)  # redelivered: the backup is not taken twice
    listed = admin_api.get("/api/admin/backup").json["items"]
    assert [(b["id"], b["status"]) for b in listed] == [(backup_id, "succeeded")]
    assert listed[0]["size_bytes"] > 0 and listed[0]["verified_at"] is None

    detail = admin_api.get(f"/api/admin/backup/{backup_id}")
    assert detail.status_code == 200
    tables = {t["name"]: t for t in detail.json["manifest"]["tables"]}
    assert "users" in tables and tables["users"]["rows"] is None  # the whole platform's counts are not a shop's
    assert admin_api.get("/api/admin/backup/99999999").status_code == 404
    assert admin_api.get("/api/admin/backup/abc").status_code == 404
    assert admin_api.post("/api/admin/backup", {"kind": "weekly"}).status_code == 400
    assert admin_api.post("/api/admin/backup", {"kind": "manual", "x": 1}).status_code == 400


def test_a_shop_sees_its_own_export_and_not_another_shops(client, admin_api, tenant, other_tenant):
    _drain_backup_queue()
    answer = admin_api.post("/api/admin/backup", {"kind": "tenant"})
    assert answer.status_code == 202
    _run_jobs(client, _drain_backup_queue())
    detail = admin_api.get(f"/api/admin/backup/{answer.json['id']}").json
    assert detail["status"] == "succeeded" and detail["kind"] == "tenant"
    assert {t["name"]: t["rows"] for t in detail["manifest"]["tables"]}["tenants"] == 1  # its own counts

    _, email, password = make_user(other_tenant, roles=["super_admin"])
    other = Api(client, other_tenant.api_key)
    other.token = login(other, email, password)["access_token"]
    assert other.get(f"/api/admin/backup/{answer.json['id']}").status_code == 404
    assert other.get("/api/admin/backup").json == {"items": []}


def test_only_staff_with_settings_permissions(client, api, customer_api, tenant):
    assert api.get("/api/admin/backup").status_code == 401
    assert customer_api.get("/api/admin/backup").status_code == 403
    _, email, password = make_user(tenant, roles=["editor"])  # products and campaigns only
    editor = Api(client, tenant.api_key)
    editor.token = login(editor, email, password)["access_token"]
    assert editor.get("/api/admin/backup").status_code == 403
    assert editor.post("/api/admin/backup", {}).status_code == 403


def test_daily_backup_mirrors_media_queues_verification_and_prunes(client, shops, scratch_db):
    _drain_backup_queue()
    s3 = aws("s3")
    images = f"{settings().bucket_prefix}-images"
    s3.put_object(Bucket=images, Key=f"tenants/{shops.a.id}/products/1/1.jpg", Body=b"first image")
    stale = service.run(service.SCHEDULED, with_media=False)  # a failed run of long ago: the policy drops it
    old = store.get_json(f"database/{stale['id']}/status.json")
    old.update(created_at="2024-01-01T02:30:00+00:00", status="failed")
    store.put_json(f"database/{stale['id']}/status.json", old)

    result = client.lambda_.invoke("daily_backup", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])).payload
    assert result["status"] == "succeeded" and result["pruned"] == [stale["id"]]
    assert service.status_of(stale["id"]) is None
    status = service.status_of(result["backup_id"])
    assert status["kind"] == "daily" and status["media"]["objects"] >= 1 and status["media"]["copied"] >= 1

    messages = _drain_backup_queue()
    assert messages == [{"id": f"verify-{result['backup_id']}", "action": "verify",
                         "backup_id": result["backup_id"], "tenant_id": None}]
    _run_jobs(client, messages)
    assert service.status_of(result["backup_id"])["verification"]["ok"]

    # the media come back as they were at the backup, after being overwritten
    key = f"tenants/{shops.a.id}/products/1/1.jpg"
    s3.put_object(Bucket=images, Key=key, Body=b"overwritten")
    media.restore_media(store.prefix_of(result["backup_id"]))
    assert s3.get_object(Bucket=images, Key=key)["Body"].read() == b"first image"
    # a second backup copies nothing unchanged again
    again = service.run(service.MANUAL)
    assert again["media"]["copied"] == 0 and again["media"]["objects"] == status["media"]["objects"]
