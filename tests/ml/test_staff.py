"""Staff routes: permissions, the service's views passed through (503 when it is down), segments
from user_data and anomaly review (tenant-scoped, idempotent, audited)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import Api, make_tenant, make_user
from tests.live.kit import staff_api
from tests.ml.kit import control, free_port, ml_service_at

STAFF_GETS = ["/api/ml/stats", "/api/ml/models", "/api/admin/ml", "/api/admin/recommendations",
              "/api/admin/segments", "/api/admin/segments/champions/customers", "/api/admin/ml/anomalies"]


@pytest.mark.parametrize("path", STAFF_GETS)
def test_staff_routes_need_a_staff_token_with_the_permission(client, tenant, ml, path):
    anonymous = Api(client, tenant.api_key)
    assert anonymous.get(path).status_code == 401
    support = staff_api(client, tenant, ["support"])
    response = support.get(path)
    assert response.status_code == 403, response.body
    assert response.json["error"]["code"]


def test_customer_cannot_train_or_review(customer_api, ml):
    assert customer_api.post("/api/ml/models", {"kinds": None}).status_code == 403
    assert customer_api.post("/api/admin/ml/anomalies/1/review", {"decision": "confirmed"}).status_code == 403


def test_models_stats_train_activate_rollback_predict(admin_api, ml, tenant):
    models = admin_api.get("/api/ml/models")
    assert models.status_code == 200 and models.json["items"][0]["kind"] == "recommender"
    assert admin_api.get("/api/ml/stats").json["tenant_id"] == tenant.id
    train = admin_api.post("/api/ml/models", {"kinds": ["recommender"], "activate": "auto"})
    assert train.status_code == 202 and train.json["status"] == "queued"
    assert admin_api.post("/api/admin/ml", {}).status_code == 202
    assert admin_api.post("/api/ml/models", {"kinds": ["nope"]}).status_code == 400
    activated = admin_api.post("/api/ml/models/recommender/activate", {"version": "v2"})
    assert activated.status_code == 200 and activated.json["champion"] == "v2"
    assert admin_api.post("/api/ml/models/recommender/activate", {"version": "v3"}).json["champion"] == "v3"
    assert admin_api.post("/api/ml/models/recommender/rollback").json["champion"] == "v2"
    assert admin_api.post("/api/ml/models/bogus/activate", {"version": "v2"}).status_code == 400
    refused = admin_api.post("/api/ml/models/purchase/rollback")  # nothing to roll back: the service's 409
    assert refused.status_code == 400 and refused.json["error"]["code"] == "ml_refused"
    predicted = admin_api.post("/api/ml/predict", {"kind": "purchase", "sessions": [{"session_id": "s1"}]})
    assert predicted.status_code == 200 and predicted.json["predictions"][0]["probability"] == 0.5
    overview = admin_api.get("/api/admin/ml")
    assert overview.status_code == 200 and overview.json["health"]["status"] == "ok"
    assert overview.json["anomalies_open"] == 0


def test_service_down_staff_views_503_but_mysql_views_work(admin_api, ml):
    with ml_service_at(f"http://127.0.0.1:{free_port()}"):
        response = admin_api.get("/api/ml/models")
        assert response.status_code == 503 and response.json["error"]["code"] == "ml_unavailable"
        assert admin_api.get("/api/admin/segments").status_code == 200
        assert admin_api.get("/api/admin/ml/anomalies").status_code == 200
        overview = admin_api.get("/api/admin/ml")
        assert overview.status_code == 200 and overview.json["health"]["status"] == "unavailable"
        assert overview.json["stats"] is None and overview.json["models"] == []


def _segment(db, tenant, user_id, name):
    db.session().execute("""INSERT INTO user_data (tenant_id, user_id, segment, segment_updated_at)
                            VALUES (%s, %s, %s, CURRENT_TIMESTAMP(6))""", (tenant.id, user_id, name))


def test_segments_from_user_data(admin_api, db, tenant, ml):
    users = [make_user(tenant)[0] for _ in range(3)]
    _segment(db, tenant, users[0], "champions")
    _segment(db, tenant, users[1], "champions")
    _segment(db, tenant, users[2], "at_risk")
    other = make_tenant()
    _segment(db, other, make_user(other)[0], "champions")
    body = admin_api.get("/api/admin/segments").json
    assert [(s["name"], s["size"]) for s in body["segments"]] == [("champions", 2), ("at_risk", 1)]
    assert body["silhouette"] == 0.42 and body["segments"][0]["monetary_avg"] == 1200.0
    page = admin_api.get("/api/admin/segments/champions/customers?limit=1").json
    assert [c["user_id"] for c in page["items"]] == [users[0]] and page["next_after"] == users[0]
    rest = admin_api.get(f"/api/admin/segments/champions/customers?after={page['next_after']}").json
    assert [c["user_id"] for c in rest["items"]] == [users[1]] and rest["next_after"] is None
    assert admin_api.get("/api/admin/segments/bad%3Bname/customers").status_code == 400


def test_admin_recommendations_preview(admin_api, db, tenant, ml):
    from tests.helpers import insert_product

    user_id = make_user(tenant)[0]
    _segment(db, tenant, user_id, "loyal")
    pid = insert_product(db, tenant.id, "Çadır")
    control(ml.url, "/_fake/items", {"tenant_id": tenant.id, "items": [[pid, 0.7]]})
    body = admin_api.get(f"/api/admin/recommendations?user_id={user_id}").json
    assert body["segment"] == "loyal" and body["source"] == "model"
    assert [i["product_id"] for i in body["items"]] == [pid]
    assert body["models"][0]["metrics"]["hr@10"] == 0.9


def _anomaly(db, tenant_id, event_id="e1"):
    return db.session().insert(
        """INSERT INTO ml_anomalies (tenant_id, kind, subject_type, subject_id, user_id, score, reasons, event_id,
                                     model_version)
           VALUES (%s, 'payment', 'device', 'dev-1', NULL, 0.81234, %s, %s, 'v1')""",
        (tenant_id, json.dumps(["12 declined cards in 5 min"]), event_id))


def test_anomaly_listing_and_review(admin_api, db, tenant, ml):
    first = _anomaly(db, tenant.id, "e1")
    second = _anomaly(db, tenant.id, "e2")
    foreign = _anomaly(db, make_tenant().id, "e3")
    listed = admin_api.get("/api/admin/ml/anomalies?status=open").json
    assert [a["id"] for a in listed["items"]] == [second, first]
    assert listed["items"][0]["reasons"] == ["12 declined cards in 5 min"]
    page = admin_api.get("/api/admin/ml/anomalies?limit=1").json
    assert page["next_before_id"] == second
    assert admin_api.post(f"/api/admin/ml/anomalies/{foreign}/review", {"decision": "confirmed"}).status_code == 404
    assert admin_api.post("/api/admin/ml/anomalies/0/review", {"decision": "confirmed"}).status_code == 404
    assert admin_api.post(f"/api/admin/ml/anomalies/{first}/review", {"decision": "maybe"}).status_code == 400
    reviewed = admin_api.post(f"/api/admin/ml/anomalies/{first}/review", {"decision": "confirmed", "note": "kart testi"})
    assert reviewed.status_code == 200 and reviewed.json["status"] == "confirmed"
    assert reviewed.json["reviewed_by"] is not None and reviewed.json["note"] == "kart testi"
    again = admin_api.post(f"/api/admin/ml/anomalies/{first}/review", {"decision": "confirmed"})
    assert again.status_code == 200 and again.json["reviewed_at"] == reviewed.json["reviewed_at"]
    audits = db.session().scalar("""SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s
                                     AND action = 'ml.anomaly_reviewed' AND entity_id = %s""", (tenant.id, str(first)))
    assert audits == 1
    assert admin_api.get("/api/admin/ml/anomalies?status=open").json["items"][0]["id"] == second
    foreign_status = db.session().scalar("SELECT status FROM ml_anomalies WHERE id = %s", (foreign,))
    assert foreign_status == "open"
