"""Reviews and ratings over HTTP (P9): verified purchase, one review per product, moderation,
the rating summary (on the list and on the cached product detail, also under concurrent
approvals), plain-text storage, keyset pages, ownership and tenancy (404), auth (401 / 403)."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform.db import get_db
from tests import engagement_fixtures
from tests.conftest import Api, TenantInfo, make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.engagement_fixtures import (  # noqa: F401 - fixtures
    Person,
    insert_order,
    rows,
    sign_in,
)
from tests.helpers import insert_product, simultaneously

# The one app of these tests (engagement + accounts + catalogue routers): see tests/engagement_fixtures.py.
engagement_app, engagement_client = engagement_fixtures.engagement_app, engagement_fixtures.engagement_client
product, buyer = engagement_fixtures.product, engagement_fixtures.buyer

GOOD = {"rating": 5, "title": "Çok sağlam", "body": "Üç gece kampta kullandım.\nHiç su almadı."}


# -- fixtures ---------------------------------------------------------------------------------------




@pytest.fixture
def moderator(engagement_client: Any, tenant: TenantInfo) -> Person:
    return sign_in(engagement_client, tenant, ["editor"])  # products.read + products.write


@pytest.fixture
def public(engagement_client: Any, tenant: TenantInfo) -> Api:
    return Api(engagement_client, tenant.api_key)


def review_rows(tenant_id: int, product_id: int | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM reviews WHERE tenant_id = %s" + (" AND product_id = %s" if product_id else "") + " ORDER BY id"
    return rows(sql, (tenant_id, product_id) if product_id else (tenant_id,))


def product_rating(tenant_id: int, product_id: int) -> tuple[Decimal, int]:
    row = rows("SELECT rating_avg, rating_count FROM products WHERE tenant_id = %s AND id = %s",
               (tenant_id, product_id))[0]
    return row["rating_avg"], row["rating_count"]


def post_review(person: Person, product_id: int, **fields: Any) -> dict[str, Any]:
    response = person.api.post(f"/api/products/{product_id}/reviews", {**GOOD, **fields})
    assert response.status_code == 201, response.body
    return response.json  # type: ignore[no-any-return]


def approve(moderator: Person, review_id: int) -> dict[str, Any]:
    response = moderator.api.post(f"/api/admin/reviews/{review_id}/approve")
    assert response.status_code == 200, response.body
    return response.json  # type: ignore[no-any-return]


def reviewed(engagement_client: Any, tenant: TenantInfo, product_id: int, rating: int, moderator: Person | None = None,
             **fields: Any) -> int:
    """A new verified buyer's review of `product_id` (approved when a moderator is given)."""
    person = sign_in(engagement_client, tenant)
    insert_order(tenant.id, person.user_id, [product_id])
    review_id = int(post_review(person, product_id, rating=rating, **fields)["id"])
    if moderator is not None:
        approve(moderator, review_id)
    return review_id


def assert_fields(response: Any, *names: str) -> None:
    error = assert_error_shape(response, 400, "validation_failed")
    assert {f["field"] for f in error["details"]["fields"]} == set(names), error


# -- the happy path ---------------------------------------------------------------------------------
def test_a_verified_buyers_review_is_pending_until_approved_then_counts(buyer, moderator, public, product, tenant):
    detail = public.get(f"/api/products/{product}")  # caches the detail: the approval must drop it
    assert (detail.json["rating_avg"], detail.json["rating_count"]) == ("0.00", 0)

    created = buyer.api.post(f"/api/products/{product}/reviews", GOOD)
    assert created.status_code == 201, created.body
    review = created.json
    assert review["status"] == "pending" and review["verified_purchase"] is True
    assert review["author"] == "Ayşe Y." and review["product_id"] == product and review["body"] == GOOD["body"]
    assert review_rows(tenant.id)[0]["order_id"] is not None

    listed = public.get(f"/api/products/{product}/reviews")
    assert listed.status_code == 200 and listed.json["items"] == []
    assert listed.json["summary"] == {"average": "0.00", "count": 0,
                                      "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}

    queue = moderator.api.get("/api/admin/reviews")
    assert [r["id"] for r in queue.json["items"]] == [review["id"]]
    assert queue.json["items"][0]["product_name"] == "Şişme Yatak"

    approved = approve(moderator, review["id"])
    assert approved["status"] == "approved" and approved["moderated_by"] == moderator.user_id

    listed = public.get(f"/api/products/{product}/reviews").json
    assert [r["id"] for r in listed["items"]] == [review["id"]]
    assert set(listed["items"][0]) == {"id", "rating", "title", "body", "author", "verified_purchase",
                                       "helpful_count", "created_at", "updated_at"}  # no user id, no status
    assert listed["summary"] == {"average": "5.00", "count": 1,
                                 "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}}
    detail = public.get(f"/api/products/{product}").json
    assert (detail["rating_avg"], detail["rating_count"]) == ("5.00", 1)
    assert product_rating(tenant.id, product) == (Decimal("5.00"), 1)


def test_the_summary_follows_approve_reject_edit_and_delete(engagement_client, tenant, product, moderator, public,
                                                            buyer):
    for rating in (5, 4, 1):
        reviewed(engagement_client, tenant, product, rating, moderator)
    mine = post_review(buyer, product, rating=4)
    approve(moderator, mine["id"])
    summary = public.get(f"/api/products/{product}/reviews").json["summary"]
    assert summary == {"average": "3.50", "count": 4, "distribution": {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1}}
    assert product_rating(tenant.id, product) == (Decimal("3.50"), 4)

    # Rejecting an approved review takes it down.
    one_star = review_rows(tenant.id, product)[2]["id"]
    rejected = moderator.api.post(f"/api/admin/reviews/{one_star}/reject", {"reason": "Ürünle ilgisiz içerik"})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert rejected.json["reject_reason"] == "Ürünle ilgisiz içerik"
    assert product_rating(tenant.id, product) == (Decimal("4.33"), 3)
    assert public.get(f"/api/products/{product}").json["rating_avg"] == "4.33"

    # Editing sends the review back to moderation: it stops counting.
    edited = buyer.api.put(f"/api/reviews/{mine['id']}", {"rating": 2, "title": "Fikrim değişti"})
    assert edited.status_code == 200 and edited.json["status"] == "pending" and edited.json["rating"] == 2
    assert edited.json["body"] is None
    assert product_rating(tenant.id, product) == (Decimal("4.50"), 2)
    assert public.get(f"/api/products/{product}").json["rating_count"] == 2

    approve(moderator, mine["id"])
    assert product_rating(tenant.id, product) == (Decimal("3.67"), 3)

    # Deleting one's own approved review removes it from the summary.
    assert buyer.api.delete(f"/api/reviews/{mine['id']}").status_code == 204
    assert product_rating(tenant.id, product) == (Decimal("4.50"), 2)
    listed = public.get(f"/api/products/{product}/reviews").json
    assert listed["summary"]["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert public.get(f"/api/products/{product}").json["rating_avg"] == "4.50"


def test_a_pending_review_changes_nothing_when_edited_or_deleted(buyer, product, tenant):
    review = post_review(buyer, product)
    edited = buyer.api.put(f"/api/reviews/{review['id']}", {"rating": 3, "body": "Orta"})
    assert edited.status_code == 200 and (edited.json["rating"], edited.json["title"]) == (3, None)
    assert product_rating(tenant.id, product) == (Decimal("0.00"), 0)
    assert buyer.api.delete(f"/api/reviews/{review['id']}").status_code == 204
    assert review_rows(tenant.id) == []


def test_putting_the_same_content_again_keeps_an_approved_review_published(buyer, moderator, product, tenant):
    review = post_review(buyer, product)
    approve(moderator, review["id"])
    again = buyer.api.put(f"/api/reviews/{review['id']}", GOOD)
    assert again.status_code == 200 and again.json["status"] == "approved"
    assert product_rating(tenant.id, product) == (Decimal("5.00"), 1)


def test_moderation_is_audited_and_repeating_a_decision_changes_nothing(buyer, moderator, product, tenant):
    review = post_review(buyer, product)
    approve(moderator, review["id"])
    approve(moderator, review["id"])
    moderator.api.post(f"/api/admin/reviews/{review['id']}/reject", {"reason": "Spam"})
    logs = rows("SELECT action, user_id, entity_type, entity_id, before_data, after_data FROM admin_logs "
                "WHERE tenant_id = %s ORDER BY id", (tenant.id,))
    assert [(r["action"], r["user_id"], r["entity_type"], r["entity_id"]) for r in logs] == [
        ("review.approve", moderator.user_id, "review", str(review["id"])),
        ("review.reject", moderator.user_id, "review", str(review["id"])),
    ]
    assert json.loads(logs[0]["before_data"]) == {"status": "pending", "reject_reason": None}
    assert json.loads(logs[1]["after_data"]) == {"status": "rejected", "reject_reason": "Spam"}


# -- verified purchase and one per product ------------------------------------------------------------
def test_only_customers_with_a_delivered_order_of_the_product_may_review(engagement_client, tenant, product):
    person = sign_in(engagement_client, tenant)
    other_product = insert_product(get_db(), tenant.id, "Kamp Sandalyesi")
    stranger = sign_in(engagement_client, tenant)
    insert_order(tenant.id, person.user_id, [product], status="shipped")  # on its way: not yet
    insert_order(tenant.id, person.user_id, [other_product])  # delivered, but another product
    insert_order(tenant.id, stranger.user_id, [product])  # someone else's delivered order
    error = assert_error_shape(person.api.post(f"/api/products/{product}/reviews", GOOD), 403, "purchase_required")
    assert "teslim" in error["message"]
    english = person.api.post(f"/api/products/{product}/reviews", GOOD, headers={"Accept-Language": "en"})
    assert "bought this product" in assert_error_shape(english, 403, "purchase_required")["message"]
    assert review_rows(tenant.id) == []

    insert_order(tenant.id, person.user_id, [other_product, product])  # now delivered
    assert person.api.post(f"/api/products/{product}/reviews", GOOD).status_code == 201


def test_one_review_per_customer_and_product(buyer, product, tenant):
    first = post_review(buyer, product)
    second = buyer.api.post(f"/api/products/{product}/reviews", {"rating": 1})
    error = assert_error_shape(second, 409, "review_exists")
    assert error["details"] == {"review_id": first["id"]}
    assert len(review_rows(tenant.id)) == 1


def test_simultaneous_first_reviews_leave_one(buyer, product, tenant):
    results = simultaneously(*[lambda: buyer.api.post(f"/api/products/{product}/reviews", GOOD)] * 3)
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.body for r in results]
    assert len(review_rows(tenant.id)) == 1


# -- plain text only ----------------------------------------------------------------------------------
def test_stored_review_text_carries_no_executable_html(buyer, moderator, public, product, tenant):
    hostile = {
        "rating": 4,
        "title": '<img src=x onerror="alert(1)">Güzel <b>çadır</b>',
        "body": ("<script>alert(document.cookie)</script>Harika <a href=\"javascript:alert(1)\">ürün</a>!\n"
                 "<iframe src=//evil.example></iframe><svg/onload=alert(1)> 3 < 5 ve fiyat & kalite <3\n"
                 "<scr<script>ipt>alert(2)</script><!-- gizli --> son <img src=x onerror=alert(3)"),
    }
    review = post_review(buyer, product, **hostile)
    stored = review_rows(tenant.id)[0]
    for text in (stored["title"], stored["body"], review["title"], review["body"]):
        assert not re.search(r"<\s*[a-zA-Z/!?]", text), text  # nothing a parser reads as a tag or comment
    assert stored["title"] == "Güzel çadır"
    assert stored["body"] == ("Harika ürün !\n3 < 5 ve fiyat & kalite <3\nscr son img src=x onerror=alert(3)")
    approve(moderator, review["id"])
    assert public.get(f"/api/products/{product}/reviews").json["items"][0]["body"] == stored["body"]


def test_text_that_is_only_markup_is_stored_as_no_text(buyer, product, tenant):
    review = post_review(buyer, product, title="<b></b>", body="<script>x</script>  ")
    assert (review["title"], review["body"]) == (None, None)


# -- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, fields", [
    ({"rating": 0}, {"rating"}),
    ({"rating": 6}, {"rating"}),
    ({"rating": "5"}, {"rating"}),
    ({"rating": 4.5}, {"rating"}),
    ({"rating": True}, {"rating"}),
    ({"title": "x"}, {"rating"}),
    ({"rating": 5, "title": "x" * 151}, {"title"}),
    ({"rating": 5, "body": "x" * 2001}, {"body"}),
    ({"rating": 5, "body": 12}, {"body"}),
    ({"rating": 5, "user_id": 1, "status": "approved"}, {"user_id", "status"}),
    ({"rating": 9, "body": "y" * 2001}, {"rating", "body"}),
])
def test_bad_review_input_names_each_field_and_changes_nothing(buyer, product, tenant, body, fields):
    assert_fields(buyer.api.post(f"/api/products/{product}/reviews", body), *fields)
    assert review_rows(tenant.id) == []


def test_bad_edit_input_changes_nothing(buyer, product, tenant):
    review = post_review(buyer, product)
    assert_fields(buyer.api.put(f"/api/reviews/{review['id']}", {"rating": 0, "body": "z" * 2001}), "rating", "body")
    assert_error_shape(buyer.api.put(f"/api/reviews/{review['id']}", raw="{nope"), 400, "invalid_json")
    assert review_rows(tenant.id)[0]["body"] == GOOD["body"]


def test_the_longest_allowed_texts_are_stored_whole(buyer, product, tenant):
    review = post_review(buyer, product, title="ş" * 150, body="ğ" * 2000)
    assert (len(review["title"]), len(review["body"])) == (150, 2000)


def test_reject_needs_a_reason(buyer, moderator, product, tenant):
    review = post_review(buyer, product)
    for body in ({}, {"reason": ""}, {"reason": "<b> </b>"}, {"reason": "x" * 256}):
        assert_fields(moderator.api.post(f"/api/admin/reviews/{review['id']}/reject", body), "reason")
    assert review_rows(tenant.id)[0]["status"] == "pending"
    assert rows("SELECT id FROM admin_logs WHERE tenant_id = %s", (tenant.id,)) == []


@pytest.mark.parametrize("query, field", [
    ("sort=best", "sort"), ("limit=0", "limit"), ("limit=51", "limit"), ("rating=6", "rating"),
    ("cursor=bm9wZQ", "cursor"), ("cursor=WzFd", "cursor"), ("colour=red", "colour"),
])
def test_bad_list_queries_are_400(public, product, query, field):
    assert_fields(public.get(f"/api/products/{product}/reviews?{query}"), field)


def test_bad_moderation_queries_are_400(moderator):
    assert_fields(moderator.api.get("/api/admin/reviews?status=spam"), "status")
    assert_fields(moderator.api.get("/api/admin/reviews?cursor=abc"), "cursor")


# -- ownership, tenancy, auth -------------------------------------------------------------------------
def test_another_customers_review_is_404(engagement_client, buyer, product, tenant):
    review = post_review(buyer, product)
    other = sign_in(engagement_client, tenant)
    assert_error_shape(other.api.put(f"/api/reviews/{review['id']}", {"rating": 1}), 404, "not_found")
    assert_error_shape(other.api.delete(f"/api/reviews/{review['id']}"), 404, "not_found")
    assert_error_shape(buyer.api.put("/api/reviews/999999999", {"rating": 1}), 404, "not_found")
    assert_error_shape(buyer.api.delete("/api/reviews/abc"), 404, "not_found")
    assert review_rows(tenant.id)[0]["rating"] == 5


def test_another_tenants_ids_are_404(engagement_client, buyer, moderator, product, tenant):
    review = post_review(buyer, product)
    other_tenant = make_tenant()
    outsider = sign_in(engagement_client, other_tenant)
    their_moderator = sign_in(engagement_client, other_tenant, ["super_admin"])
    for response in (
        outsider.api.get(f"/api/products/{product}/reviews"),
        outsider.api.post(f"/api/products/{product}/reviews", GOOD),
        outsider.api.put(f"/api/reviews/{review['id']}", {"rating": 1}),
        outsider.api.delete(f"/api/reviews/{review['id']}"),
        their_moderator.api.post(f"/api/admin/reviews/{review['id']}/approve"),
        their_moderator.api.post(f"/api/admin/reviews/{review['id']}/reject", {"reason": "x"}),
    ):
        assert_error_shape(response, 404, "not_found")
    assert their_moderator.api.get("/api/admin/reviews").json["items"] == []
    assert their_moderator.api.get(f"/api/admin/reviews?product_id={product}").json["items"] == []
    # A token of one tenant sent with another tenant's API key is refused outright.
    crossed = Api(engagement_client, tenant.api_key)
    assert crossed.put(f"/api/reviews/{review['id']}", {"rating": 1}, token=outsider.api.token).status_code == 401
    assert review_rows(tenant.id)[0]["status"] == "pending"


def test_an_inactive_or_unknown_product_has_no_reviews(public, buyer, tenant):
    draft = insert_product(get_db(), tenant.id, "Taslak")
    get_db().session().execute("UPDATE products SET status = 'draft' WHERE id = %s", (draft,))
    insert_order(tenant.id, buyer.user_id, [draft])
    assert_error_shape(public.get(f"/api/products/{draft}/reviews"), 404, "not_found")
    assert_error_shape(buyer.api.post(f"/api/products/{draft}/reviews", GOOD), 404, "not_found")
    assert_error_shape(public.get("/api/products/0/reviews"), 404, "not_found")


def test_writing_needs_a_token_and_moderating_needs_the_permission(engagement_client, buyer, product, tenant, public):
    review = post_review(buyer, product)
    for method, path, body in (
        ("POST", f"/api/products/{product}/reviews", GOOD), ("PUT", f"/api/reviews/{review['id']}", GOOD),
        ("DELETE", f"/api/reviews/{review['id']}", None), ("GET", "/api/admin/reviews", None),
        ("POST", f"/api/admin/reviews/{review['id']}/approve", None),
        ("POST", f"/api/admin/reviews/{review['id']}/reject", {"reason": "x"}),
    ):
        assert_error_shape(public.request(method, path, body), 401, "token_missing")
    support = sign_in(engagement_client, tenant, ["support"])  # staff, but no products.* permission
    for api in (buyer.api, support.api):
        assert_error_shape(api.get("/api/admin/reviews"), 403, "forbidden")
        assert_error_shape(api.post(f"/api/admin/reviews/{review['id']}/approve"), 403, "forbidden")
        assert_error_shape(api.post(f"/api/admin/reviews/{review['id']}/reject", {"reason": "x"}), 403, "forbidden")
    assert review_rows(tenant.id)[0]["status"] == "pending"


# -- lists --------------------------------------------------------------------------------------------
def _walk(api: Api, path: str) -> list[list[int]]:
    pages, url = [], path
    while True:
        response = api.get(url)
        assert response.status_code == 200, response.body
        pages.append([r["id"] for r in response.json["items"]])
        cursor = response.json["next_cursor"]
        if cursor is None:
            return pages
        url = f"{path}&cursor={cursor}"


def test_sort_orders_walk_every_approved_review_once(engagement_client, tenant, product, moderator, public):
    ids = [reviewed(engagement_client, tenant, product, rating, moderator) for rating in (3, 5, 1, 5, 4)]
    hidden = reviewed(engagement_client, tenant, product, 5)  # pending: never listed
    helpful = {ids[0]: 7, ids[2]: 7, ids[4]: 2}
    for review_id, count in helpful.items():
        get_db().session().execute("UPDATE reviews SET helpful_count = %s WHERE id = %s", (count, review_id))
    by_id = dict(zip(ids, (3, 5, 1, 5, 4), strict=True))
    base = f"/api/products/{product}/reviews?limit=2"

    assert _walk(public, base + "&sort=newest") == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    assert sum(_walk(public, base + "&sort=helpful"), []) == [ids[2], ids[0], ids[4], ids[3], ids[1]]
    high = sum(_walk(public, base + "&sort=rating_high"), [])
    assert [by_id[i] for i in high] == [5, 5, 4, 3, 1] and high[:2] == [ids[3], ids[1]]
    low = sum(_walk(public, base + "&sort=rating_low"), [])
    assert [by_id[i] for i in low] == [1, 3, 4, 5, 5] and low[3:] == [ids[1], ids[3]]
    assert sum(_walk(public, base + "&rating=5"), []) == [ids[3], ids[1]]
    assert hidden not in high

    # A cursor continues only the order it was made for.
    cursor = public.get(base + "&sort=helpful").json["next_cursor"]
    assert_fields(public.get(base + f"&sort=newest&cursor={cursor}"), "cursor")


def test_a_list_runs_the_same_number_of_statements_whatever_the_page_size(engagement_client, tenant, product,
                                                                          moderator, public):
    from chalicelib.platform.db import stats

    for rating in (1, 2, 3, 4, 5, 5):
        reviewed(engagement_client, tenant, product, rating, moderator)
    public.get(f"/api/products/{product}/reviews")  # warm: tenant cache
    counts = []
    for limit in (1, 6):
        before = stats.statements
        assert public.get(f"/api/products/{product}/reviews?limit={limit}").status_code == 200
        counts.append(stats.statements - before)
    assert counts[0] == counts[1]


def test_the_moderation_queue_pages_oldest_first_and_filters(engagement_client, tenant, product, moderator):
    other_product = insert_product(get_db(), tenant.id, "Termos")
    ids = [reviewed(engagement_client, tenant, product, 4) for _ in range(3)]
    elsewhere = reviewed(engagement_client, tenant, other_product, 2)
    assert _walk(moderator.api, "/api/admin/reviews?status=pending&limit=2") == [ids[:2], [ids[2], elsewhere]]
    assert _walk(moderator.api, f"/api/admin/reviews?status=pending&product_id={other_product}") == [[elsewhere]]
    approve(moderator, ids[1])
    assert _walk(moderator.api, "/api/admin/reviews?status=approved") == [[ids[1]]]
    assert moderator.api.get("/api/admin/reviews?status=rejected").json["items"] == []


# -- concurrency --------------------------------------------------------------------------------------


def test_concurrent_approvals_leave_a_correct_summary(engagement_client, tenant, product, moderator, public):
    second_moderator = sign_in(engagement_client, tenant, ["editor"])
    pending = [reviewed(engagement_client, tenant, product, rating) for rating in (5, 2, 4, 1, 3, 3)]
    public.get(f"/api/products/{product}")  # cached before: every approval must drop it
    for a, b in zip(pending[::2], pending[1::2], strict=True):
        first, second = simultaneously(
            lambda a=a: moderator.api.post(f"/api/admin/reviews/{a}/approve"),
            lambda b=b: second_moderator.api.post(f"/api/admin/reviews/{b}/approve"),
        )
        assert (first.status_code, second.status_code) == (200, 200), (first.body, second.body)
    assert product_rating(tenant.id, product) == (Decimal("3.00"), 6)
    detail = public.get(f"/api/products/{product}").json
    assert (detail["rating_avg"], detail["rating_count"]) == ("3.00", 6)

    # Two moderators taking down two reviews at once: still exact.
    first, second = simultaneously(
        lambda: moderator.api.post(f"/api/admin/reviews/{pending[0]}/reject", {"reason": "Spam"}),
        lambda: second_moderator.api.post(f"/api/admin/reviews/{pending[1]}/reject", {"reason": "Reklam"}),
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert product_rating(tenant.id, product) == (Decimal("2.75"), 4)
    assert public.get(f"/api/products/{product}/reviews").json["summary"]["average"] == "2.75"


def test_account_deletion_erases_reviews_and_fixes_the_rating(engagement_client, tenant, product, moderator, public):
    """KVKK: a deleted account's review leaves the product's rating summary with it."""
    from chalicelib.engagement import repository as engagement_repo

    buyer = sign_in(engagement_client, tenant)
    insert_order(tenant.id, buyer.user_id, [product])
    review = buyer.api.post(f"/api/products/{product}/reviews", GOOD).json
    assert moderator.api.post(f"/api/admin/reviews/{review['id']}/approve").status_code == 200
    assert public.get(f"/api/products/{product}").json["rating"]["count"] == 1
    assert buyer.api.put(f"/api/favorites/{product}").status_code in (200, 201)
    # make_user's default password (tests/conftest.py)
    assert buyer.api.request("DELETE", "/api/users/profile", {"password": "Parola-1234"}).status_code == 204
    assert public.get(f"/api/products/{product}").json["rating"]["count"] == 0
    assert engagement_repo.reviewed_product_ids(get_db().session(), tenant.id, buyer.user_id) == []
    assert rows("SELECT 1 FROM favorites WHERE tenant_id = %s AND user_id = %s", (tenant.id, buyer.user_id)) == []
