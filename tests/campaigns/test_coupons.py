"""Customer coupon codes (K2): apply / list / remove, every refusal, the guessing limit, the
checkout's view of the applied codes, and what other customers and tenants can never reach."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.campaigns.kit import campaign, coupon, utcnow
from tests.conftest import Api
from tests.helpers import simultaneously
from tests.orders_kit import shopper

PATH = "/api/campaigns/coupons"
PERCENT = {"type": "percent_off", "value": "10"}


def _code(prefix: str = "KIS") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def _coupon_campaign(db, tenant_id, **kw):
    return campaign(db, tenant_id, PERCENT, type="coupon", name="Kupon Kampanyası", **kw)


def _apply(who, code):
    return who.api.post(PATH, {"code": code})


def test_apply_list_reapply_and_remove(client, tenant, db):
    who = shopper(client, tenant)
    cid = _coupon_campaign(db, tenant.id)
    code = _code()
    coupon(db, tenant.id, cid, code)
    first = _apply(who, f"  {code.lower()} ")
    assert first.status_code == 200, first.body
    assert first.json["code"] == code and first.json["valid"] is True and first.json["reason"] is None
    assert first.json["campaign_id"] == cid and first.json["campaign_name"] == "Kupon Kampanyası"
    again = _apply(who, code)
    assert again.status_code == 200 and again.json["code"] == code
    listed = who.api.get(PATH)
    assert listed.status_code == 200
    assert [i["code"] for i in listed.json["items"]] == [code] and listed.json["max_codes"] == 5
    assert who.api.delete(f"{PATH}/{code.lower()}").status_code == 204
    assert who.api.get(PATH).json["items"] == []
    gone = who.api.delete(f"{PATH}/{code}")
    assert gone.status_code == 404 and gone.json["error"]["code"] == "coupon_not_found"


def test_turkish_dotless_and_dotted_i_fold_to_ascii_i(client, tenant, db):
    who = shopper(client, tenant)
    cid = _coupon_campaign(db, tenant.id)
    suffix = uuid.uuid4().hex[:6].upper().replace("I", "X")
    coupon(db, tenant.id, cid, f"IKI-{suffix}")
    response = _apply(who, f"ıki-{suffix.lower()}")
    assert response.status_code == 200, response.body
    assert response.json["code"] == f"IKI-{suffix}"
    assert _apply(who, f"İKİ-{suffix}").status_code == 200


@pytest.mark.parametrize("raw", ["KIŞ10", "ＫＩＳ１０", "KIS 10", "\u202eKIS10", "🎁KIS", "A" * 65, "", "   ", "KIS_10",
                                 "ÇAY-1"])
def test_malformed_codes_are_400_and_change_nothing(client, tenant, raw):
    who = shopper(client, tenant)
    response = _apply(who, raw)
    assert response.status_code == 400, response.body
    assert response.json["error"]["code"] in ("coupon_code_invalid", "validation_failed")
    assert who.api.get(PATH).json["items"] == []


@pytest.mark.parametrize("body", [{"code": None}, {}, {"code": 12345}, {"code": ["A"]}, {"code": "X", "extra": 1}])
def test_malformed_bodies_are_400(client, tenant, body):
    who = shopper(client, tenant)
    assert who.api.post(PATH, body).status_code == 400


def test_unknown_other_tenants_and_other_customers_codes_are_all_404(client, tenant, other_tenant, db):
    who = shopper(client, tenant)
    someone = shopper(client, tenant)
    theirs = _code("OTR")
    coupon(db, other_tenant.id, _coupon_campaign(db, other_tenant.id), theirs)
    cid = _coupon_campaign(db, tenant.id)
    personal = _code("PER")
    coupon(db, tenant.id, cid, personal, user_id=someone.user_id)
    for code in (_code("YOK"), theirs, personal):
        response = _apply(who, code)
        assert response.status_code == 404, response.body
        assert response.json["error"]["code"] == "coupon_not_found"
    assert _apply(someone, personal).status_code == 200  # the owner may


def _set(db, table, row_id, **values):
    sets = ", ".join(f"{k} = %s" for k in values)
    db.session().execute(f"UPDATE {table} SET {sets} WHERE id = %s", (*values.values(), row_id))


def test_each_refusal_has_its_own_409_code(client, tenant, db):
    now = utcnow()
    who = shopper(client, tenant)

    def case(reason, *, coupon_kw=None, campaign_kw=None, after=None):
        nonlocal who
        who = shopper(client, tenant)  # refusals count towards the guessing limit: a customer per case
        cid = _coupon_campaign(db, tenant.id, **(campaign_kw or {}))
        code = _code()
        kid = coupon(db, tenant.id, cid, code, **(coupon_kw or {}))
        if after:
            after(cid, kid)
        response = _apply(who, code)
        assert response.status_code == 409, (reason, response.body)
        assert response.json["error"]["code"] == reason

    case("coupon_inactive", after=lambda cid, kid: _set(db, "coupons", kid, is_active=0))
    case("coupon_inactive", campaign_kw={"status": "paused"})
    case("coupon_inactive", after=lambda cid, kid: _set(db, "campaigns", cid, deleted_at=now))
    case("coupon_not_started", after=lambda cid, kid: _set(db, "coupons", kid, starts_at=now + dt.timedelta(days=1)))
    case("coupon_not_started", campaign_kw={"starts_at": now + dt.timedelta(hours=2)})
    case("coupon_expired", after=lambda cid, kid: _set(db, "coupons", kid, ends_at=now - dt.timedelta(minutes=1)))
    case("coupon_expired", campaign_kw={"status": "ended"})
    case("coupon_exhausted", coupon_kw={"usage_limit": 1}, after=lambda cid, kid: _set(db, "coupons", kid, used_count=1))
    case("coupon_exhausted", campaign_kw={"usage_limit": 2}, after=lambda cid, kid: _set(db, "campaigns", cid,
                                                                                          used_count=2))

    def used_once(scope):
        def mark(cid, kid):
            db.session().execute("INSERT INTO campaign_customer_uses (tenant_id, scope, scope_id, user_id, uses) "
                                 "VALUES (%s, %s, %s, %s, 1)", (tenant.id, scope, kid if scope == "coupon" else cid,
                                                                who.user_id))
        return mark

    case("coupon_per_customer_limit", coupon_kw={"usage_limit_per_user": 1}, after=used_once("coupon"))
    case("coupon_per_customer_limit", campaign_kw={"usage_limit_per_user": 1}, after=used_once("campaign"))
    assert who.api.get(PATH).json["items"] == []


def test_refused_known_codes_count_towards_the_limit_too(client, tenant, db):
    who = shopper(client, tenant)
    code = _code()
    coupon(db, tenant.id, _coupon_campaign(db, tenant.id, status="paused"), code)
    for _ in range(10):
        assert _apply(who, code).status_code == 409
    assert _apply(who, code).status_code == 429


def test_at_most_five_codes(client, tenant, db):
    who = shopper(client, tenant)
    cid = _coupon_campaign(db, tenant.id)
    codes = [_code() for _ in range(6)]
    for code in codes:
        coupon(db, tenant.id, cid, code)
    for code in codes[:5]:
        assert _apply(who, code).status_code == 200
    sixth = _apply(who, codes[5])
    assert sixth.status_code == 409 and sixth.json["error"]["code"] == "coupons_too_many"
    assert sixth.json["error"]["details"] == {"max": 5}
    assert _apply(who, codes[2]).status_code == 200  # an applied one again is fine
    assert len(who.api.get(PATH).json["items"]) == 5


def test_wrong_codes_are_rate_limited_and_successes_do_not_count(client, tenant, db):
    who = shopper(client, tenant)
    cid = _coupon_campaign(db, tenant.id)
    good = _code("OK")
    coupon(db, tenant.id, cid, good)
    for _ in range(9):
        assert _apply(who, _code("NO")).status_code == 404
    for _ in range(5):
        assert _apply(who, good).status_code == 200  # successes are not counted
    assert _apply(who, _code("NO")).status_code == 404  # the tenth failure
    blocked = _apply(who, good)  # a right code is refused too: nothing more is learnt
    assert blocked.status_code == 429, blocked.body
    assert blocked.json["error"]["code"] == "coupon_attempts"
    assert int(blocked.headers["Retry-After"]) >= 1
    other = shopper(client, tenant)  # another customer (same network, below its limit) is not blocked
    assert _apply(other, good).status_code == 200


def test_guests_need_to_sign_in(client, tenant):
    guest = Api(client, tenant.api_key)
    assert guest.post(PATH, {"code": "ABC"}).status_code == 401
    assert guest.get(PATH).status_code == 401


def test_another_customer_cannot_see_or_remove_my_codes(client, tenant, db):
    me, other = shopper(client, tenant), shopper(client, tenant)
    code = _code()
    coupon(db, tenant.id, _coupon_campaign(db, tenant.id), code)
    assert _apply(me, code).status_code == 200
    assert other.api.get(PATH).json["items"] == []
    assert other.api.delete(f"{PATH}/{code}").status_code == 404
    assert [i["code"] for i in me.api.get(PATH).json["items"]] == [code]


def test_concurrent_applies_of_one_code_make_one_row(client, tenant, db):
    who = shopper(client, tenant)
    code = _code()
    kid = coupon(db, tenant.id, _coupon_campaign(db, tenant.id), code)
    results = simultaneously(*[lambda: _apply(who, code).status_code for _ in range(8)])
    assert results == [200] * 8
    assert db.session().scalar("SELECT COUNT(*) FROM cart_coupons WHERE tenant_id = %s AND user_id = %s AND "
                               "coupon_id = %s", (tenant.id, who.user_id, kid)) == 1


def test_list_says_why_an_applied_code_stopped_applying(client, tenant, db):
    who = shopper(client, tenant)
    code = _code()
    kid = coupon(db, tenant.id, _coupon_campaign(db, tenant.id), code)
    assert _apply(who, code).status_code == 200
    _set(db, "coupons", kid, ends_at=utcnow() - dt.timedelta(seconds=1))
    [item] = who.api.get(PATH).json["items"]
    assert item["valid"] is False and item["reason"] == "coupon_expired"


def test_applied_coupons_for_the_checkout_and_clear_applied(client, tenant, db):
    from chalicelib.campaigns import coupons_service
    from chalicelib.campaigns.model import CouponRef

    who = shopper(client, tenant)
    cid = _coupon_campaign(db, tenant.id)
    codes = [_code() for _ in range(3)]
    ids = [coupon(db, tenant.id, cid, c) for c in codes]
    for code in codes:
        assert _apply(who, code).status_code == 200
    _set(db, "coupons", ids[1], is_active=0)
    now = utcnow()
    refs = coupons_service.applied_coupons(db.session(), tenant.id, who.user_id, now)
    assert refs == [CouponRef(ids[0], codes[0], cid), CouponRef(ids[2], codes[2], cid)]
    assert coupons_service.applied_coupons(db.session(), tenant.id, shopper(client, tenant).user_id, now) == []

    def work(uow):
        coupons_service.clear_applied(uow, tenant.id, who.user_id)
        uow.commit()

    db.transaction(work)
    assert coupons_service.applied_coupons(db.session(), tenant.id, who.user_id, now) == []
