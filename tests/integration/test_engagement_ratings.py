"""The products' rating summary against the real MariaDB: exact half-up rounding (the same as
the product detail's), and the plain-text and keyset helpers of the engagement area."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from chalicelib.catalog.service import rating_summary
from chalicelib.engagement import repository as repo
from chalicelib.engagement import reviews
from chalicelib.engagement.plaintext import plain_text
from chalicelib.platform.keyset import CursorError, Position
from tests.conftest import TenantInfo
from tests.helpers import insert_product


def _approved_reviews(db, tenant_id: int, product_id: int, ratings: list[int]) -> None:
    session = db.session()
    tag = uuid.uuid4().hex[:8]
    session.executemany("INSERT INTO users (tenant_id, email) VALUES (%s, %s)",
                        [(tenant_id, f"r{n}-{tag}@example.com") for n in range(len(ratings))])
    users = session.all("SELECT id FROM users WHERE tenant_id = %s AND email LIKE %s ORDER BY id",
                        (tenant_id, f"%-{tag}@example.com"))
    session.executemany(
        "INSERT INTO reviews (tenant_id, product_id, user_id, rating, status) VALUES (%s, %s, %s, %s, 'approved')",
        [(tenant_id, product_id, u["id"], r) for u, r in zip(users, ratings, strict=True)])


def _recompute(db, tenant_id: int, product_id: int) -> tuple[Decimal, int]:
    def work(uow):
        assert repo.lock_product(uow, tenant_id, product_id)
        reviews.recompute_rating(uow, tenant_id, product_id)
        row = uow.one("SELECT rating_avg, rating_count FROM products WHERE id = %s", (product_id,))
        uow.commit()
        return row["rating_avg"], row["rating_count"]

    return db.transaction(work)


@pytest.mark.parametrize("ratings", [
    [4] * 200 + [5],  # 805 / 201 = 4.00497...: AVG() would keep 4.0050 and round it to 4.01
    [1] * 200 + [2],  # 202 / 201 = 1.00497...
    [5, 4, 4],  # 4.333... → 4.33
    [5, 4, 4, 4, 4, 4, 4, 4],  # 4.125 exactly → 4.13 (half up)
    [1],
])
def test_the_stored_average_is_rounded_once_half_up_like_the_product_detail(db, tenant: TenantInfo, ratings):
    product_id = insert_product(db, tenant.id, "Puanlı Ürün")
    _approved_reviews(db, tenant.id, product_id, ratings)
    exact = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _recompute(db, tenant.id, product_id) == (exact, len(ratings))
    listed = reviews.list_reviews(db, tenant.id, product_id, order="newest", rating=None, after=None, limit=1)
    stars = {n: ratings.count(n) for n in set(ratings)}
    assert listed["summary"] == rating_summary(exact, len(ratings), stars)
    assert listed["summary"]["average"] == exact and listed["summary"]["count"] == len(ratings)


def test_no_approved_reviews_is_zero(db, tenant: TenantInfo):
    product_id = insert_product(db, tenant.id, "Yorumsuz")
    assert _recompute(db, tenant.id, product_id) == (Decimal("0.00"), 0)


def test_keyset_cursors_round_trip_and_refuse_anything_else():
    when = datetime(2025, 5, 1, 12, 30, 15, 123456)
    newest, helpful = repo.ORDERS["newest"], repo.ORDERS["helpful"]
    assert newest.decode(newest.encode([when], 42)) == Position((when,), 42)
    assert helpful.decode(helpful.encode([7], 9)) == Position((7,), 9)
    token = helpful.encode([7], 9)
    for cursor, keyset in ((token, repo.ORDERS["rating_high"]), (token, repo.MODERATION), ("", newest),
                           ("!!", newest), ("x" * 600, newest), (helpful.encode([2**63], 1), helpful)):
        with pytest.raises(CursorError):
            keyset.decode(cursor)


@pytest.mark.parametrize("raw, clean", [
    ("Düz metin", "Düz metin"),
    ("<b>kalın</b> yazı", "kalın yazı"),
    ("<SCRIPT src=x></SCRIPT>ok", "ok"),
    ("a\u2028b\x00c", "abc"),
    ("satır 1\r\n\r\n\r\n\r\nsatır 2", "satır 1\n\nsatır 2"),
    ("x <3 y", "x <3 y"),
    ("<img src=x onerror=alert(1)//", "img src=x onerror=alert(1)//"),
    ("<!-- yorum", ""),
    ("< / b>metin", "metin"),
])
def test_plain_text(raw, clean):
    assert plain_text(raw) == clean
