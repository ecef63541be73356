"""Staff coupon codes (issue 15, AK): single codes (format, Turkish letters, uniqueness, personal,
limits), bulk batches of unique codes (10,000 in under 5 s, collisions topped up) and their
one-time export, also when two staff export at once."""
from __future__ import annotations

import csv
import io
import itertools
import time

import pytest

from tests.campaigns.admin_kit import campaign_body, create, key, staff
from tests.conftest import make_user
from tests.helpers import simultaneously

CAMPAIGNS = "/api/admin/campaigns"


@pytest.fixture
def coupon_campaign(admin_api):
    return create(admin_api, CAMPAIGNS, campaign_body(type="coupon"))["id"]


def _codes(response):
    rows = list(csv.reader(io.StringIO(response.body.decode() if isinstance(response.body, bytes) else response.body)))
    assert rows[0] == ["code"]
    return [r[0] for r in rows[1:]]


def test_single_code_is_upper_cased_listed_and_audited(admin_api, tenant, db, coupon_campaign):
    user_id, _, _ = make_user(tenant)
    made = create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupons",
                  {"code": " kis-25 ", "usage_limit": 100, "usage_limit_per_user": 1, "user_id": user_id,
                   "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"})
    assert (made["code"], made["source"], made["user_id"], made["used_count"]) == ("KIS-25", "manual", user_id, 0)
    page = admin_api.get(f"{CAMPAIGNS}/{coupon_campaign}/coupons").json
    assert [c["id"] for c in page["items"]] == [made["id"]] and page["next_cursor"] is None
    assert db.session().scalar("SELECT action FROM admin_logs WHERE tenant_id = %s AND entity_type = 'coupon'",
                               (tenant.id,)) == "campaigns.coupon.create"


@pytest.mark.parametrize(("code", "error"), [
    ("İNDİRİM", "coupon_code_turkish"), ("şeker10", "coupon_code_turkish"), ("ABC", "coupon_code_format"),
    ("A" * 33, "coupon_code_format"), ("KIŞ 25", "coupon_code_turkish"), ("KIS 25", "coupon_code_format"),
    ("-KIS25", "coupon_code_format"), ("KIS_25", "coupon_code_format"), ("ＡＢＣＤ", "coupon_code_format"),
])
def test_bad_codes_are_400(admin_api, coupon_campaign, code, error):
    response = admin_api.post(f"{CAMPAIGNS}/{coupon_campaign}/coupons", {"code": code}, headers=key())
    assert response.status_code == 400, response.body
    assert [f["type"] for f in response.json["error"]["details"]["fields"]] == [error]


def test_other_bad_bodies_are_400(admin_api, coupon_campaign):
    path = f"{CAMPAIGNS}/{coupon_campaign}/coupons"
    for body in ({"code": None}, {"code": 1234}, {"code": "KIS25", "usage_limit": 0}, {"code": "KIS25", "x": 1},
                 {"code": "KIS25", "starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}):
        assert admin_api.post(path, body, headers=key()).status_code == 400, body


def test_code_taken_also_when_two_race(admin_api, coupon_campaign):
    path = f"{CAMPAIGNS}/{coupon_campaign}/coupons"
    create(admin_api, path, {"code": "YAZ50"})
    taken = admin_api.post(path, {"code": "yaz50"}, headers=key())
    assert taken.status_code == 409 and taken.json["error"]["code"] == "coupon_code_taken"
    results = simultaneously(*[lambda: admin_api.post(path, {"code": "KIS50"}, headers=key()) for _ in range(4)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]


def test_only_code_campaigns_take_codes(admin_api, db, tenant):
    promotion = create(admin_api, CAMPAIGNS, campaign_body())["id"]
    refused = admin_api.post(f"{CAMPAIGNS}/{promotion}/coupons", {"code": "NOPE1"}, headers=key())
    assert refused.status_code == 409 and refused.json["error"]["code"] == "campaign_takes_no_codes"
    batch = admin_api.post(f"{CAMPAIGNS}/{promotion}/coupon-batches", {"quantity": 5}, headers=key())
    assert batch.status_code == 409
    for kind in ("offer", "wheel"):
        cid = create(admin_api, CAMPAIGNS, campaign_body(type=kind))["id"]
        create(admin_api, f"{CAMPAIGNS}/{cid}/coupons", {"code": f"{kind.upper()}-1"})
    deleted = create(admin_api, CAMPAIGNS, campaign_body(type="coupon"))["id"]
    admin_api.delete(f"{CAMPAIGNS}/{deleted}")
    gone = admin_api.post(f"{CAMPAIGNS}/{deleted}/coupons", {"code": "LATE1"}, headers=key())
    assert gone.status_code == 409 and gone.json["error"]["code"] == "campaign_deleted"


def test_personal_code_needs_a_customer_of_this_shop(admin_api, coupon_campaign, other_tenant, tenant):
    stranger, _, _ = make_user(other_tenant)
    refused = admin_api.post(f"{CAMPAIGNS}/{coupon_campaign}/coupons", {"code": "SENIN1", "user_id": stranger},
                             headers=key())
    assert refused.status_code == 404 and refused.json["error"]["code"] == "campaign_customer_not_found"


def test_put_and_delete(admin_api, tenant, db, coupon_campaign):
    path = f"{CAMPAIGNS}/{coupon_campaign}/coupons"
    used = create(admin_api, path, {"code": "USED-1", "usage_limit": 10})
    unused = create(admin_api, path, {"code": "FRESH-1"})
    db.session().execute("UPDATE coupons SET used_count = 3 WHERE tenant_id = %s AND id = %s", (tenant.id, used["id"]))
    low = admin_api.put(f"/api/admin/coupons/{used['id']}", {"usage_limit": 2})
    assert low.status_code == 409 and low.json["error"]["code"] == "coupon_usage_below_used"
    assert admin_api.put(f"/api/admin/coupons/{used['id']}", {"code": "OTHER1"}).status_code == 400
    ok = admin_api.put(f"/api/admin/coupons/{used['id']}", {"usage_limit": 3, "usage_limit_per_user": None})
    assert ok.status_code == 200 and ok.json["usage_limit"] == 3
    assert admin_api.delete(f"/api/admin/coupons/{used['id']}").status_code == 204
    assert admin_api.get(f"{path}").json["items"][1]["is_active"] is False  # kept, deactivated
    assert admin_api.delete(f"/api/admin/coupons/{unused['id']}").status_code == 204
    assert db.session().scalar("SELECT COUNT(*) FROM coupons WHERE tenant_id = %s AND id = %s",
                               (tenant.id, unused["id"])) == 0
    assert admin_api.put(f"/api/admin/coupons/{unused['id']}", {"is_active": True}).status_code == 404


def test_bulk_batch_of_10000_unique_codes_in_under_5_seconds(admin_api, tenant, db, coupon_campaign):
    started = time.monotonic()
    batch = create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches",
                   {"quantity": 10_000, "prefix": "yil-", "usage_limit_per_code": 1})
    assert time.monotonic() - started < 5
    assert (batch["quantity"], batch["prefix"], batch["exported_at"], batch["used_codes"]) == (10_000, "YIL-", None, 0)
    rows = db.session().all("SELECT code, usage_limit, source FROM coupons WHERE tenant_id = %s AND batch_id = %s",
                            (tenant.id, batch["id"]))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 10_000
    assert all(c.startswith("YIL-") and len(c) >= 12 and not set(c[4:]) & set("01OIL") for c in codes)
    assert {(r["usage_limit"], r["source"]) for r in rows} == {(1, "bulk")}
    # batch codes stay out of the single-code list: the export hands them out
    assert admin_api.get(f"{CAMPAIGNS}/{coupon_campaign}/coupons").json["items"] == []
    listed = admin_api.get(f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches").json["items"]
    assert [b["id"] for b in listed] == [batch["id"]]


def test_collisions_are_topped_up(admin_api, tenant, db, coupon_campaign, monkeypatch):
    from chalicelib.campaigns import admin_coupon_service as service

    create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupons", {"code": "TAKEN23456"})
    fresh = (f"FRESH{n:05d}" for n in itertools.count())
    draws = itertools.chain(["TAKEN23456", "TAKEN23456", "TAKEN23456"], fresh)
    monkeypatch.setattr(service, "new_code", lambda prefix: next(draws))
    batch = create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches", {"quantity": 3})
    codes = db.session().all("SELECT code FROM coupons WHERE tenant_id = %s AND batch_id = %s ORDER BY code",
                             (tenant.id, batch["id"]))
    assert [r["code"] for r in codes] == ["FRESH00000", "FRESH00001", "FRESH00002"]


def test_bad_batches_are_400(admin_api, coupon_campaign):
    path = f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches"
    for body in ({"quantity": 0}, {"quantity": 100_001}, {"quantity": 5, "prefix": "ÇOK"},
                 {"quantity": 5, "prefix": "TOOLONG12"}, {"quantity": 5, "usage_limit_per_code": 0},
                 {"quantity": None}, {"quantity": 5, "prefix": None}, {"quantity": 5, "prefix": "-X"}):
        assert admin_api.post(path, body, headers=key()).status_code == 400, body
    assert admin_api.post(path, {"quantity": 5}).status_code == 400  # Idempotency-Key required


def test_batch_replays_with_the_same_key(admin_api, tenant, db, coupon_campaign):
    path = f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches"
    headers = key()
    first = admin_api.post(path, {"quantity": 7}, headers=headers)
    again = admin_api.post(path, {"quantity": 7}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json["id"] == again.json["id"]
    assert db.session().scalar("SELECT COUNT(*) FROM coupons WHERE tenant_id = %s", (tenant.id,)) == 7


def test_export_once(admin_api, tenant, db, coupon_campaign):
    batch = create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches", {"quantity": 25, "prefix": "AB"})
    first = admin_api.get(f"/api/admin/coupon-batches/{batch['id']}/export")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/csv")
    codes = _codes(first)
    stored = {r["code"] for r in db.session().all("SELECT code FROM coupons WHERE tenant_id = %s AND batch_id = %s",
                                                  (tenant.id, batch["id"]))}
    assert len(codes) == 25 and set(codes) == stored
    again = admin_api.get(f"/api/admin/coupon-batches/{batch['id']}/export")
    assert again.status_code == 410 and again.json["error"]["code"] == "coupon_batch_exported"
    shown = admin_api.get(f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches").json["items"][0]
    assert shown["exported_at"] is not None and shown["exported_by"] is not None


def test_two_concurrent_exports_exactly_one_gets_the_codes(admin_api, coupon_campaign):
    batch = create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches", {"quantity": 500})
    path = f"/api/admin/coupon-batches/{batch['id']}/export"
    results = simultaneously(*[lambda: admin_api.get(path) for _ in range(4)])
    assert sorted(r.status_code for r in results) == [200, 410, 410, 410]
    winner = next(r for r in results if r.status_code == 200)
    assert len(_codes(winner)) == 500


def test_other_tenant_and_permissions(admin_api, client, tenant, other_tenant, coupon_campaign):
    from tests.conftest import Api, login

    _, email, password = make_user(other_tenant, roles=["super_admin"])
    theirs = Api(client, other_tenant.api_key)
    theirs.token = login(theirs, email, password)["access_token"]
    their_campaign = create(theirs, CAMPAIGNS, campaign_body(type="coupon"))["id"]
    their_coupon = create(theirs, f"{CAMPAIGNS}/{their_campaign}/coupons", {"code": "THEIRS1"})["id"]
    their_batch = create(theirs, f"{CAMPAIGNS}/{their_campaign}/coupon-batches", {"quantity": 2})["id"]
    assert admin_api.get(f"{CAMPAIGNS}/{their_campaign}/coupons").status_code == 404
    assert admin_api.post(f"{CAMPAIGNS}/{their_campaign}/coupons", {"code": "MINE1"}, headers=key()).status_code == 404
    assert admin_api.put(f"/api/admin/coupons/{their_coupon}", {"is_active": False}).status_code == 404
    assert admin_api.delete(f"/api/admin/coupons/{their_coupon}").status_code == 404
    assert admin_api.get(f"/api/admin/coupon-batches/{their_batch}/export").status_code == 404
    assert theirs.get(f"/api/admin/coupon-batches/{their_batch}/export").status_code == 200  # still theirs, once
    # the same code in another shop is not taken here
    create(admin_api, f"{CAMPAIGNS}/{coupon_campaign}/coupons", {"code": "THEIRS1"})
    support = staff(client, tenant, "support")
    assert support.get(f"{CAMPAIGNS}/{coupon_campaign}/coupons").status_code == 403
    assert support.post(f"{CAMPAIGNS}/{coupon_campaign}/coupon-batches", {"quantity": 1},
                        headers=key()).status_code == 403
