"""The staff routes of feeds through app.py: register / change / remove sources, run now, runs and
reports; bad bodies are 400 in the one error shape, another tenant's ids are 404."""
from __future__ import annotations

import pytest

from tests.conftest import Api, login, make_user
from tests.e2e.test_pipeline import assert_error_shape
from tests.feeds import feed_kit as kit

SOURCE = {"name": "Tedarikçi", "kind": "http", "url": "https://feeds.example.com/urunler.xml",
          "format": "google_merchant_rss", "interval_minutes": 60, "report_email": "katalog@example.com",
          "field_mapping": {"stock": "g:sell_on_google_quantity", "item": "item"},
          "category_mapping": {"Outdoor > Sleeping": 12}}


@pytest.fixture(autouse=True)
def _empty_queues():
    kit.drain("feed-runs")
    yield
    kit.drain("feed-runs")


def _fields(response):
    return {f["field"] for f in response.json["error"]["details"]["fields"]}


def test_register_list_change_and_remove_a_source(admin_api):
    created = admin_api.post("/api/admin/feeds", SOURCE)
    assert created.status_code == 201, created.body
    source = created.json
    assert source["next_run_at"] and source["field_mapping"]["stock"] == "g:sell_on_google_quantity"
    assert [s["id"] for s in admin_api.get("/api/admin/feeds").json["items"]] == [source["id"]]
    changed = admin_api.request("PATCH", f"/api/admin/feeds/{source['id']}",
                                {"interval_minutes": None, "report_email": None, "name": "Tedarikçi 2"})
    assert changed.status_code == 200, changed.body
    assert (changed.json["interval_minutes"], changed.json["next_run_at"], changed.json["report_email"]) == (
        None, None, None)
    assert admin_api.delete(f"/api/admin/feeds/{source['id']}").status_code == 204
    assert admin_api.get(f"/api/admin/feeds/{source['id']}").status_code == 404


def test_run_now_queues_one_run_and_refuses_a_second_while_it_goes(admin_api):
    source = admin_api.post("/api/admin/feeds", SOURCE).json
    run = admin_api.post(f"/api/admin/feeds/{source['id']}/run", {"dry_run": True})
    assert run.status_code == 202 and run.json["status"] == "queued" and run.json["dry_run"] is True
    assert [kit.body(r)["run_id"] for r in kit.drain("feed-runs")] == [run.json["id"]]
    again = admin_api.post(f"/api/admin/feeds/{source['id']}/run", {})
    assert again.status_code == 409 and again.json["error"]["code"] == "feed_run_active"
    runs = admin_api.get(f"/api/admin/feeds/{source['id']}/runs?limit=5").json["items"]
    assert [r["id"] for r in runs] == [run.json["id"]] and runs[0]["progress"] is None
    report = admin_api.get(f"/api/admin/feed-runs/{run.json['id']}/report").json
    assert report["rows"] == [] and report["key"] is None and report["download_url"] is None


@pytest.mark.parametrize("body,fields", [
    ({**SOURCE, "kind": "ftp"}, {"kind"}),
    ({**SOURCE, "url": None}, {"body"}),
    ({**SOURCE, "url": "file:///etc/passwd"}, {"url"}),
    ({**SOURCE, "kind": "s3", "url": None}, {"body"}),
    ({**SOURCE, "format": "csv"}, {"format"}),
    ({**SOURCE, "interval_minutes": 1}, {"interval_minutes"}),
    ({**SOURCE, "report_email": "a@b.com, c@d.com"}, {"report_email"}),
    ({**SOURCE, "field_mapping": {"colour": "renk"}}, {"field_mapping"}),
    ({**SOURCE, "field_mapping": {"price": "<script>"}}, {"field_mapping"}),
    ({**SOURCE, "category_mapping": {"x": "12"}}, {"category_mapping"}),
    ({**SOURCE, "category_mapping": {"x": True}}, {"category_mapping"}),
    ({**SOURCE, "name": "Ad\u202eexe.gpj"}, {"name"}),
    ({**SOURCE, "name": "x"}, {"name"}),
    ({**SOURCE, "surprise": 1}, {"surprise"}),
])
def test_bad_sources_are_400_and_nothing_is_stored(admin_api, body, fields):
    response = admin_api.post("/api/admin/feeds", body)
    assert_error_shape(response, 400, "validation_failed")
    got = _fields(response)
    assert got & fields or (fields == {"body"} and got), got
    assert admin_api.get("/api/admin/feeds").json["items"] == []


def test_explicit_nulls_where_null_means_nothing_are_400(admin_api):
    source = admin_api.post("/api/admin/feeds", SOURCE).json
    for field in ("name", "kind", "format", "enabled"):
        response = admin_api.request("PATCH", f"/api/admin/feeds/{source['id']}", {field: None})
        assert response.status_code == 400 and _fields(response) == {field}, (field, response.body)
    # clearing the url of an http source leaves it nowhere to read from
    response = admin_api.request("PATCH", f"/api/admin/feeds/{source['id']}", {"url": None})
    assert response.status_code == 400
    assert admin_api.post(f"/api/admin/feeds/{source['id']}/run", {"dry_run": None}).status_code == 400


def test_odd_unicode_names_are_kept_normalised_and_names_are_unique(admin_api):
    decomposed = "Ayakkabi\u0307 Tedarikc\u0327i\u0307 🏕️"
    created = admin_api.post("/api/admin/feeds", {**SOURCE, "name": decomposed})
    assert created.status_code == 201, created.body
    import unicodedata
    assert created.json["name"] == unicodedata.normalize("NFC", decomposed)
    again = admin_api.post("/api/admin/feeds", {**SOURCE, "name": unicodedata.normalize("NFC", decomposed)})
    assert again.status_code == 409 and again.json["error"]["code"] == "feed_name_taken"
    bad_json = admin_api.post("/api/admin/feeds", raw='{"name": "\\ud800"}')
    assert bad_json.status_code == 400


def test_another_tenants_sources_and_runs_are_404(client, admin_api, other_tenant):
    source = admin_api.post("/api/admin/feeds", SOURCE).json
    run = admin_api.post(f"/api/admin/feeds/{source['id']}/run", {}).json
    _, email, password = make_user(other_tenant, roles=["super_admin"])
    theirs = Api(client, other_tenant.api_key)
    theirs.token = login(theirs, email, password)["access_token"]
    sid, rid = source["id"], run["id"]
    for method, path, body in [("GET", f"/api/admin/feeds/{sid}", None), ("PATCH", f"/api/admin/feeds/{sid}",
                                                                          {"enabled": False}),
                               ("DELETE", f"/api/admin/feeds/{sid}", None), ("POST", f"/api/admin/feeds/{sid}/run", {}),
                               ("GET", f"/api/admin/feeds/{sid}/runs", None), ("GET", f"/api/admin/feed-runs/{rid}", None),
                               ("GET", f"/api/admin/feed-runs/{rid}/report", None)]:
        response = theirs.request(method, path, body)
        assert response.status_code == 404, (method, path, response.status_code)
    assert theirs.get("/api/admin/feeds").json["items"] == []
    assert admin_api.get(f"/api/admin/feeds/{sid}").json["enabled"] is True


def test_staff_without_products_permission_are_refused(client, tenant):
    _, email, password = make_user(tenant, roles=["support"])
    support = Api(client, tenant.api_key)
    support.token = login(support, email, password)["access_token"]
    assert support.get("/api/admin/feeds").status_code == 403
    assert support.post("/api/admin/feeds", SOURCE).status_code == 403
