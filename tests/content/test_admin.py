"""Staff CRUD of stories, sliders and popups: validation (400 in the one shape, nothing changed),
partial updates with the null policy, schedule order on the merged row, audit rows, keyset pages
with status filters, 404 for another tenant's ids, permissions."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Api, make_user
from tests.content.kit import at, make
from tests.orders_kit import sign_in


def _fields(response: Any) -> set[str]:
    assert response.status_code == 400, response.body
    return {f["field"] for f in response.json["error"]["details"]["fields"]}


def test_story_created_with_defaults_expires_a_day_after_it_starts_and_is_audited(admin_api: Api, db: Any,
                                                                                 tenant: Any) -> None:
    story = make(admin_api, "stories", title="  Şişme Yatak İndirimi  ", link_type="product", link_target=42)
    assert story["title"] == "Şişme Yatak İndirimi"
    assert story["link_target"] == "42" and story["status"] == "active" and story["view_count"] == 0
    assert story["duration_seconds"] == 5 and story["media_type"] == "image" and story["ends_at"] is None
    created = story["created_at"]
    assert story["expires_at"][:16] == (_parse(created) + timedelta(hours=24)).isoformat()[:16]
    starts = at(hours=2)
    later = make(admin_api, "stories", starts_at=starts)
    assert later["status"] == "scheduled"
    assert _parse(later["expires_at"]) - _parse(later["starts_at"]) == timedelta(hours=24)
    log = db.session().one("SELECT action, entity_type, after_data FROM admin_logs WHERE tenant_id = %s "
                           "AND entity_type = 'story' AND entity_id = %s", (tenant.id, str(story["id"])))
    assert log["action"] == "story.create" and "Şişme Yatak" in log["after_data"]


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text).replace(tzinfo=None)


@pytest.mark.parametrize("body,field", [
    ({"title": None}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x" * 151}, "title"),
    ({"title": "Yaz\u202eİndirimi"}, "title"),
    ({"media_key": "../etc/passwd"}, "media_key"),
    ({"media_key": "http://cdn.example.com/a.jpg"}, "media_key"),
    ({"media_key": None}, "media_key"),
    ({"link_type": "product", "link_target": "abc"}, "link_target"),
    ({"link_type": "product", "link_target": "0"}, "link_target"),
    ({"link_type": "category", "link_target": "99999999999999999999"}, "link_target"),
    ({"link_type": "url", "link_target": "http://example.com/kampanya"}, "link_target"),
    ({"link_type": "url", "link_target": "https://exa mple.com"}, "link_target"),
    ({"link_type": "url"}, "link_target"),
    ({"link_target": "12"}, "link_type"),
    ({"link_type": "ftp", "link_target": "12"}, "link_type"),
    ({"duration_seconds": 0}, "duration_seconds"),
    ({"is_active": "yes"}, "is_active"),
    ({"starts_at": "0001-01-01T00:00:00+05:00"}, "starts_at"),
    ({"starts_at": at(hours=5), "ends_at": at(hours=1)}, "ends_at"),
    ({"colour": "red"}, "colour"),
])
def test_bad_story_input_is_a_400_naming_the_field_and_changes_nothing(admin_api: Api, db: Any, tenant: Any,
                                                                      body: dict[str, Any], field: str) -> None:
    response = admin_api.post("/api/admin/stories", {"title": "Yeni", "media_key": "stories/a.jpg", **body})
    assert field in _fields(response)
    assert db.session().scalar("SELECT COUNT(*) FROM stories WHERE tenant_id = %s", (tenant.id,)) == 0


def test_unpaired_surrogate_and_bad_json_are_400(admin_api: Api) -> None:
    bad = admin_api.post("/api/admin/stories", raw='{"title": "\\ud800", "media_key": "a.jpg"}')
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_text"
    assert admin_api.post("/api/admin/sliders", raw="{not json").status_code == 400


def test_update_is_partial_null_clears_only_optional_fields_and_schedule_is_checked_on_the_merged_row(
        admin_api: Api, db: Any, tenant: Any) -> None:
    story = make(admin_api, "stories", starts_at=at(hours=1), ends_at=at(hours=10), thumbnail_key="t/a.jpg")
    path = f"/api/admin/stories/{story['id']}"
    changed = admin_api.put(path, {"title": "Kış Fırsatı", "thumbnail_key": None})
    assert changed.status_code == 200, changed.body
    assert changed.json["title"] == "Kış Fırsatı" and changed.json["thumbnail_key"] is None
    assert changed.json["media_key"] == story["media_key"] and changed.json["ends_at"] == story["ends_at"]
    assert _fields(admin_api.put(path, {"title": None})) == {"title"}
    # ends_at before the stored starts_at: the merged row breaks the rule
    assert _fields(admin_api.put(path, {"ends_at": at(minutes=30)})) == {"ends_at"}
    assert _fields(admin_api.put(path, {"link_type": "url"})) == {"link_target"}
    assert admin_api.get(path).json["ends_at"] == story["ends_at"]
    unchanged = admin_api.put(path, {})
    assert unchanged.status_code == 200 and unchanged.json["title"] == "Kış Fırsatı"
    cleared = admin_api.put(path, {"ends_at": None})
    assert cleared.status_code == 200 and cleared.json["ends_at"] is None
    assert _parse(cleared.json["expires_at"]) - _parse(cleared.json["starts_at"]) == timedelta(hours=24)
    log = db.session().one("SELECT before_data, after_data FROM admin_logs WHERE tenant_id = %s AND action = "
                           "'story.update' ORDER BY id LIMIT 1", (tenant.id,))
    assert "Yeni Sezon" in log["before_data"] and "Kış Fırsatı" in log["after_data"]


def test_slider_and_popup_validation(admin_api: Api) -> None:
    assert "placement" in _fields(admin_api.post("/api/admin/sliders", {
        "title": "A", "image_key": "s/a.jpg", "placement": "footer"}))
    assert "subtitle" in _fields(admin_api.post("/api/admin/sliders", {
        "title": "A", "image_key": "s/a.jpg", "subtitle": "bir\niki"}))
    popup = {"title": "Hoş geldiniz"}
    for body, field in [
        ({"audience": {"segments": [None]}}, "audience.segments.0"),
        ({"audience": {"platforms": ["windows"]}}, "audience.platforms.0"),
        ({"audience": {"new_customers": "true"}}, "audience.new_customers"),
        ({"audience": {"vip": True}}, "audience.vip"),
        ({"frequency": "hourly"}, "frequency"),
        ({"cta_link": "javascript:alert(1)"}, "cta_link"),
        ({"priority": 10_000}, "priority"),
    ]:
        assert field in _fields(admin_api.post("/api/admin/popups", {**popup, **body})), body
    made = make(admin_api, "popups", cta_link="/products/12", audience={"platforms": ["ios"]})
    assert made["audience"] == {"segments": [], "levels": [], "new_customers": None, "platforms": ["ios"]}
    assert admin_api.put(f"/api/admin/popups/{made['id']}", {"audience": None}).json["audience"] is None


def test_lists_filter_by_status_and_page_by_keyset(admin_api: Api) -> None:
    active = [make(admin_api, "sliders", sort_order=i, title=f"Slayt {i}")["id"] for i in range(5)]
    scheduled = make(admin_api, "sliders", starts_at=at(days=1))["id"]
    expired = make(admin_api, "sliders", starts_at=at(days=-3), ends_at=at(days=-2))["id"]
    disabled = make(admin_api, "sliders", is_active=False)["id"]
    other_place = make(admin_api, "sliders", placement="cart", sort_order=99)["id"]

    def ids(query: str) -> list[int]:
        out, cursor = [], None
        while True:
            page = admin_api.get(f"/api/admin/sliders?{query}&limit=2" + (f"&cursor={cursor}" if cursor else ""))
            assert page.status_code == 200, page.body
            out += [item["id"] for item in page.json["items"]]
            cursor = page.json["next_cursor"]
            if cursor is None:
                return out

    assert sorted(ids("status=active")) == sorted([*active, other_place])
    assert ids("status=active&placement=home")[:5] == active
    assert ids("status=scheduled") == [scheduled]
    assert ids("status=expired") == [expired]
    assert ids("status=disabled") == [disabled]
    assert len(ids("placement=home")) == 8
    assert admin_api.get("/api/admin/sliders?cursor=bm90LWEtY3Vyc29y").status_code == 400
    assert admin_api.get("/api/admin/sliders?status=gone").status_code == 400


def test_another_tenants_ids_are_404_and_delete_is_audited(admin_api: Api, client: Any, other_tenant: Any,
                                                          db: Any, tenant: Any) -> None:
    _, email, password = make_user(other_tenant, roles=["super_admin"])
    theirs = Api(client, other_tenant.api_key)
    theirs.token = theirs.post("/api/users/login", {"email": email, "password": password}).json["access_token"]
    for plural in ("stories", "sliders", "popups"):
        item = make(admin_api, plural)
        path = f"/api/admin/{plural}/{item['id']}"
        assert theirs.get(path).status_code == 404
        assert theirs.put(path, {"title": "Başkası"}).status_code == 404
        assert theirs.delete(path).status_code == 404
        assert admin_api.get(path).json["title"] == item["title"]
        assert admin_api.delete(path).status_code == 204
        assert admin_api.get(path).status_code == 404
        assert admin_api.delete(path).status_code == 404
    actions = {r["action"] for r in db.session().all(
        "SELECT action FROM admin_logs WHERE tenant_id = %s", (tenant.id,))}
    assert {"story.delete", "slider.delete", "popup.delete"} <= actions


def test_staff_routes_need_the_content_permissions(admin_api: Api, customer_api: Api, client: Any,
                                                   tenant: Any) -> None:
    assert customer_api.get("/api/admin/stories").status_code == 403
    assert Api(client, tenant.api_key).get("/api/admin/popups").status_code == 401
    support_id, _, _ = make_user(tenant, roles=["support"])
    support = Api(client, tenant.api_key)
    support.token = sign_in(tenant.id, support_id)
    assert support.post("/api/admin/sliders", {"title": "A", "image_key": "a.jpg"}).status_code == 403
    editor_id, _, _ = make_user(tenant, roles=["editor"])
    editor = Api(client, tenant.api_key)
    editor.token = sign_in(tenant.id, editor_id)
    assert editor.post("/api/admin/sliders", {"title": "A", "image_key": "a.jpg"}).status_code == 201
