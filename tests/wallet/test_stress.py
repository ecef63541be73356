"""Thousands of random wallet operations on real MariaDB connections, several threads at once,
then the proof (issue 11 "Done when").

Operations: bank top-ups (request → sent → approved, the approval clicked twice), card top-ups,
wallet payments (debits), holds posted (all or part) or voided, withdrawals (with an
Idempotency-Key, approved or rejected), transfers both ways between the same two customers and
between random ones, refunds credited back (the order_refund credit, retried), and gift-card
redemptions: a few codes, each redeemed by several customers on several threads at once (one
credit each, the rest the neutral 404); HPay bonus granted (grant_bonus), spent on payments
(bonus first up to a limit, the rest cash, off the grants soonest-expiring first: the code
POST /api/payment/wallet runs), grants aged past their expiry (the test's clock) and the
expiry sweep run while all that goes on.  A share of them is sent twice with the same
transfer id or key, some by two threads at the same moment.  A watcher samples the balance
rows all along.

Then: reconcile proves every invariant (balance = lines, lines of each entry and of the tenant
sum to zero, running balances, pending = pending holds, nobody below zero); every customer's
balance is what the operations that answered "done" add up to (no lost or doubled update);
every retried transfer id / key had one effect; no deadlock or lock-wait error reached a caller;
each bonus balance is what was granted less what was spent and what the sweep expired, no grant
promises more than its account holds, and none past its expiry is left active.

Size: WALLET_STRESS_OPS (default 3000) operations over WALLET_STRESS_THREADS (default 8)
threads; `make test` keeps the default (~5 s here).  WALLET_STRESS_OPS=50000 for a long run.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pymysql

from chalicelib.platform.context import Tenant
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import ApiError
from chalicelib.wallet import api, bonus, giftcards, payments, topups, withdrawals
from chalicelib.wallet import repository as wallet_repo
from tests.conftest import make_tenant
from tests.wallet.wallet_kit import WALLET_SETTINGS, D, assert_reconciled, credit, customers, rows, run

OPS = int(os.environ.get("WALLET_STRESS_OPS", "3000"))
THREADS = int(os.environ.get("WALLET_STRESS_THREADS", "8"))
CUSTOMERS = 8
IBAN = "TR330006100519786457841326"
# Outcomes that are answers, not failures: not enough money, a hold already decided, a key
# whose first request is still running.
EXPECTED = {"insufficient_funds", "hold_not_pending", "idempotency_in_progress",
            "gift_card_not_found", "gift_card_attempts"}  # a code someone else redeemed first
GIFT_CARDS, GIFT_AMOUNT = 30, D("25.00")


@dataclass
class Ledgerbook:
    """What the operations that answered "done" did, to compare with the database."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    deltas: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    bonus: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))  # granted less spent
    effects: Counter[str] = field(default_factory=Counter)  # transfer id / key → first-time effects
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def done(self, key: str, changes: dict[int, Decimal], bonus: dict[int, Decimal] | None = None) -> None:
        with self.lock:
            self.effects[key] += 1
            for user_id, delta in changes.items():
                self.deltas[user_id] += delta
            for user_id, delta in (bonus or {}).items():
                self.bonus[user_id] += delta


class World:
    def __init__(self, seed: int) -> None:
        settings = {"wallet": {**WALLET_SETTINGS["wallet"], "withdrawal_max": "100000.00"}}
        info = make_tenant(settings=settings)
        self.tenant = Tenant(info.id, info.slug, "Stress", "active", "tr", "TRY", settings, (), info.api_key_id)
        self.users = customers(info, CUSTOMERS)
        self.staff = customers(info, 1)[0]
        self.book = Ledgerbook()
        self.random = random.Random(seed)
        for user_id in self.users:  # everyone starts with something to spend
            credit(self.tenant.id, user_id, "500.00", transfer_id=f"seed-{user_id}")
            self.book.deltas[user_id] += D("500.00")
        issued = giftcards.issue(get_db(), self.tenant.id, self.staff, amount=GIFT_AMOUNT, currency="TRY",
                                 expires_on=giftcards.today() + dt.timedelta(days=30), count=GIFT_CARDS,
                                 note=None, header=None)
        assert issued.codes is not None
        self.codes: list[str] = list(issued.codes)

    # -- operations: each returns after recording what it did -----------------------------------
    def bank_topup(self, key: str, user_id: int, amount: Decimal) -> None:
        db, tenant = get_db(), self.tenant
        made = topups.request_topup(db, tenant, user_id, amount, None, key)
        topups.report_sent(db, tenant.id, user_id, made.id, sender_name="Ayşe", bank_reference=None, note=None)
        results = [topups.approve(db, tenant.id, self.staff, made.id, None)[1] for _ in range(2)]
        assert results == [True, False], results  # the second click acts as a replay
        if not made.replayed:
            self.book.done(key, {user_id: amount})

    def card_topup(self, key: str, user_id: int, amount: Decimal) -> None:
        posted = run(lambda uow: api.credit(uow, self.tenant.id, user_id, amount, transfer_id=key,
                                            purpose="card_topup"))
        if not posted.replayed:
            self.book.done(key, {user_id: amount})

    def payment(self, key: str, user_id: int, amount: Decimal) -> None:
        posted = run(lambda uow: api.debit(uow, self.tenant.id, user_id, amount, transfer_id=key,
                                           purpose="order_payment"))
        if not posted.replayed:
            self.book.done(key, {user_id: -amount})

    def transfer(self, key: str, pair: tuple[int, int], amount: Decimal) -> None:
        source, target = pair
        posted = run(lambda uow: api.transfer(uow, self.tenant.id, source, target, amount, transfer_id=key))
        if not posted.replayed:
            self.book.done(key, {source: -amount, target: amount})

    def held_payment(self, key: str, user_id: int, amount: Decimal, post: bool, part: Decimal) -> None:
        hold = run(lambda uow: api.hold(uow, self.tenant.id, user_id, amount, transfer_id=key,
                                        purpose="order_payment"))
        if hold.replayed:
            return  # the twin that made the hold decides it
        if post:
            done = run(lambda uow: api.post_hold(uow, self.tenant.id, hold.id, part))
            self.book.done(key, {user_id: -(done.posted_amount or D(0))})
        else:
            run(lambda uow: api.void_hold(uow, self.tenant.id, hold.id))
            self.book.done(key, {})

    def refund(self, key: str, user_id: int, amount: Decimal) -> None:
        posted = run(lambda uow: api.credit(uow, self.tenant.id, user_id, amount, transfer_id=key,
                                            purpose="order_refund"))
        if not posted.replayed:
            self.book.done(key, {user_id: amount})

    def gift(self, code: str, user_id: int) -> None:
        # Each customer redeems from its own address: the per-IP guess limit is not what this tests.
        redeemed = giftcards.redeem(get_db(), self.tenant.id, user_id, f"10.0.0.{user_id % 250}", code, None)
        if not redeemed.replayed:
            self.book.done(f"gift-{redeemed.card_id}", {user_id: redeemed.amount})

    def grant(self, key: str, user_id: int, amount: Decimal, days: int) -> None:
        posted = run(lambda uow: api.grant_bonus(uow, self.tenant.id, user_id, amount, transfer_id=key, days=days))
        if not posted.replayed:
            self.book.done(key, {}, {user_id: amount})

    def bonus_payment(self, key: str, user_id: int, amount: Decimal, limit: Decimal) -> None:
        """What POST /api/payment/wallet does to the wallet (payments._split and book), without an
        order: bonus first up to `limit`, the rest cash, one entry, the grants spent."""
        def work(uow):
            wallet = payments._wallet(uow, self.tenant.id, user_id, amount)
            spent, cash = payments._split(uow, self.tenant.id, wallet, amount, limit)
            if wallet_repo.journal_by_transfer(uow, self.tenant.id, key) is not None:
                return None  # its twin paid first (the accounts' lock ordered them)
            payments.book(uow, self.tenant.id, wallet, spent, cash, transfer_id=key, order_id=0,
                          description="stress", user_id=user_id)
            uow.commit()
            return spent, cash

        parts = get_db().transaction(work)
        if parts is not None:
            self.book.done(key, {user_id: -parts[1]}, {user_id: -parts[0]})

    def age(self, pick: float) -> None:
        """The test's clock: one active grant of the tenant is now past its expiry."""
        found = rows("SELECT id FROM wallet_bonus_grants WHERE tenant_id = %s AND status = 'active' "
                     "ORDER BY id LIMIT 1 OFFSET %s", self.tenant.id, int(pick * 5))
        if found:
            run(lambda uow: uow.execute("UPDATE wallet_bonus_grants SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
                                        "SECOND WHERE tenant_id = %s AND id = %s", (self.tenant.id, found[0]["id"])))

    def sweep(self) -> None:
        bonus.expire_grants(get_db())

    def withdrawal(self, key: str, user_id: int, amount: Decimal, approve: bool) -> None:
        db = get_db()
        made = withdrawals.request_withdrawal(db, self.tenant, user_id, amount=amount, iban=IBAN,
                                              account_holder="Ayşe Yılmaz", note=None, header=key)
        if made.replayed:
            return
        if approve:
            withdrawals.approve(db, self.tenant.id, self.staff, made.id, None)
            self.book.done(key, {user_id: -amount})
        else:
            withdrawals.reject(db, self.tenant.id, self.staff, made.id, "no")
            self.book.done(key, {})

    # -- the plan --------------------------------------------------------------------------------
    def plan(self, n: int) -> list[list[tuple[str, Callable[[], None]]]]:
        """n operations dealt to THREADS lists; about one in eight is also dealt, with the same
        transfer id / key, to another thread (a retry racing the original)."""
        r, hot = self.random, tuple(self.users[:2])
        lanes: list[list[tuple[str, Callable[[], None]]]] = [[] for _ in range(THREADS)]
        for i in range(n):
            user, other = r.sample(self.users, 2)
            amount = D(r.randint(1, 8000)) / 100
            kind = r.choices(["bank", "card", "pay", "hot", "transfer", "hold", "withdraw", "refund", "gift",
                              "grant", "bonuspay", "age", "sweep"],
                             [1, 2, 3, 5, 3, 3, 2, 1, 1, 2, 2, 0.3, 0.3])[0]
            key = f"{kind}-{i}"
            if kind in ("bank", "withdraw"):  # the tenant's lower limit for requests
                amount = max(amount, D("10.00"))
            op: Callable[[], None] = {
                "bank": lambda k=key, u=user, a=amount: self.bank_topup(k, u, a),
                "card": lambda k=key, u=user, a=amount: self.card_topup(k, u, a),
                "pay": lambda k=key, u=user, a=amount: self.payment(k, u, a),
                "hot": lambda k=key, p=(hot if i % 2 else hot[::-1]), a=amount: self.transfer(k, p, a),
                "transfer": lambda k=key, p=(user, other), a=amount: self.transfer(k, p, a),
                "hold": lambda k=key, u=user, a=amount, post=r.random() < 0.6,
                part=max(D("0.01"), (amount * D(r.randint(1, 100)) / 100).quantize(D("0.01"))):
                    self.held_payment(k, u, a, post, part),
                "withdraw": lambda k=key, u=user, a=amount, ok=r.random() < 0.5: self.withdrawal(k, u, a, ok),
                "refund": lambda k=key, u=user, a=amount: self.refund(k, u, a),
                "gift": lambda c=r.choice(self.codes), u=user: self.gift(c, u),
                "grant": lambda k=key, u=user, a=amount, d=r.randint(1, 30): self.grant(k, u, a, d),
                "bonuspay": lambda k=key, u=user, a=amount, cap=(amount * D(r.randint(0, 100)) / 100).quantize(
                    D("0.01")): self.bonus_payment(k, u, a, cap),
                "age": lambda x=r.random(): self.age(x),
                "sweep": self.sweep,
            }[kind]
            lane = r.randrange(THREADS)
            lanes[lane].append((key, op))
            if kind not in ("bank", "age", "sweep") and r.random() < 0.125:
                lanes[(lane + 1 + r.randrange(THREADS - 1)) % THREADS].append((key, op))
        return lanes

    def perform(self, key: str, op: Callable[[], None]) -> None:
        try:
            op()
            outcome = "done"
        except ApiError as exc:
            outcome = exc.code
            if exc.code not in EXPECTED:
                self.book.failures.append(f"{key}: {exc.code} {exc.details}")
        except pymysql.MySQLError as exc:  # a deadlock or lock wait that escaped the retries
            outcome = f"mysql {exc.args[0]}"
            self.book.failures.append(f"{key}: {exc!r}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported at the end
            outcome = type(exc).__name__
            self.book.failures.append(f"{key}: {exc!r}")
        with self.book.lock:
            self.book.outcomes[outcome] += 1


def _watch(tenant_id: int, stop: threading.Event, seen: list[int]) -> None:
    """Samples the customer balance rows while the operations run: never one below zero."""
    session = get_db().session()
    try:
        while not stop.is_set():
            seen.append(int(session.scalar(
                """SELECT COUNT(*) FROM wallet_accounts WHERE tenant_id = %s AND kind = 'customer'
                     AND (balance < 0 OR balance - pending_debit < 0)""", (tenant_id,))))
            time.sleep(0.02)
    finally:
        get_db().close()


def test_random_concurrent_operations_keep_every_invariant():
    world = World(seed=int(os.environ.get("WALLET_STRESS_SEED", "11")))
    lanes = world.plan(OPS)
    stop, negatives = threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(world.tenant.id, stop, negatives))
    barrier = threading.Barrier(THREADS)

    def lane(ops: list[tuple[str, Callable[[], None]]]) -> None:
        barrier.wait()
        try:
            for key, op in ops:
                world.perform(key, op)
        finally:
            get_db().close()

    started = time.monotonic()
    watcher.start()
    threads = [threading.Thread(target=lane, args=(ops,)) for ops in lanes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    stop.set()
    watcher.join(timeout=10)
    elapsed = time.monotonic() - started
    print(f"\n{sum(map(len, lanes))} operations over {THREADS} threads in {elapsed:.1f} s: "
          f"{dict(world.book.outcomes)}; {len(negatives)} balance samples")

    assert not any(t.is_alive() for t in threads)
    assert world.book.failures == [], world.book.failures[:20]
    assert world.book.outcomes["done"] > OPS // 2  # most operations did something
    assert negatives and max(negatives) == 0

    world.sweep()  # what the clock aged last
    report = assert_reconciled(world.tenant.id)  # grants included: none promises more than its account holds
    assert report.pending_holds == 0  # every hold was posted or voided

    # Every balance is what the operations that answered "done" add up to.
    session = get_db().session()
    for user_id in world.users:
        shown = api.balance(session, world.tenant.id, user_id).cash
        assert (shown.balance, shown.held) == (world.book.deltas[user_id], D("0.00")), user_id
    # Bonus: granted less spent (the book) less what the sweep took (its entries), per customer.
    expired = {r["user_id"]: r["total"] for r in rows(
        """SELECT w.user_id, SUM(l.amount) AS total FROM wallet_journals j
             JOIN wallet_ledger_entries l ON l.tenant_id = j.tenant_id AND l.journal_id = j.id
             JOIN wallets w ON w.tenant_id = l.tenant_id AND w.id = l.wallet_id
            WHERE j.tenant_id = %s AND j.journal_type = 'bonus_expiry' GROUP BY w.user_id""", world.tenant.id)}
    assert expired, "the mix expired no bonus: the age/sweep operations did not meet"
    for user_id in world.users:
        shown = api.balance(session, world.tenant.id, user_id).bonus
        assert shown.balance == world.book.bonus[user_id] - expired.get(user_id, D(0)), user_id
    assert rows("""SELECT COUNT(*) AS n FROM wallet_bonus_grants WHERE tenant_id = %s AND status = 'active'
                    AND expires_at <= UTC_TIMESTAMP(6)""", world.tenant.id)[0]["n"] == 0
    spent_grants = rows("SELECT COALESCE(SUM(amount - remaining), 0) AS n FROM wallet_bonus_grants WHERE tenant_id = %s "
                        "AND status = 'active'", world.tenant.id)[0]["n"]
    assert spent_grants > 0  # payments took bonus off grants

    # One effect per transfer id / key: once in the book, once in the database.
    assert max(world.book.effects.values()) == 1
    entries = Counter(r["transfer_id"] for r in rows(
        "SELECT transfer_id FROM wallet_journals WHERE tenant_id = %s", world.tenant.id))
    assert max(entries.values()) == 1
    holds = Counter(r["transfer_id"] for r in rows("SELECT transfer_id FROM wallet_holds WHERE tenant_id = %s",
                                                   world.tenant.id))
    assert not holds or max(holds.values()) == 1
    keyed = rows("""SELECT idem_key FROM idempotency_keys WHERE tenant_id = %s
                     AND scope IN ('wallet_topup_request', 'wallet_withdrawal_request')""", world.tenant.id)
    requests = rows("SELECT COUNT(*) AS n FROM wallet_withdrawal_requests WHERE tenant_id = %s", world.tenant.id)[0]["n"]
    requests += rows("SELECT COUNT(*) AS n FROM wallet_topup_requests WHERE tenant_id = %s", world.tenant.id)[0]["n"]
    assert requests == len(keyed)  # one request per key, however often it was sent
    for key, effects in world.book.effects.items():
        if key.startswith(("card", "pay", "hot", "transfer", "refund", "grant", "bonuspay")):
            assert entries[key] == effects, key
        if key.startswith("gift-"):  # the book's gift-<card id> is the ledger's giftcard-<card id>
            assert entries[f"giftcard-{key[5:]}"] == effects == 1, key
        if key.startswith("hold") and effects:
            assert holds[key] == 1, key
    redeemed = rows("SELECT COUNT(*) AS n FROM gift_cards WHERE tenant_id = %s AND status = 'redeemed'",
                    world.tenant.id)[0]["n"]
    assert redeemed == sum(1 for key in world.book.effects if key.startswith("gift-"))


def test_the_stress_world_counts_what_it_checks():
    """The bookkeeping above would notice a lost update: a balance changed behind its back
    no longer matches the book."""
    world = World(seed=3)
    for key, op in [x for lane in world.plan(40) for x in lane]:
        world.perform(key, op)
    user_id = world.users[0]
    assert api.balance(get_db().session(), world.tenant.id, user_id).cash.balance == world.book.deltas[user_id]
    run(lambda uow: api.credit(uow, world.tenant.id, user_id, D("1.00"), transfer_id="behind-its-back",
                               purpose="card_topup"))
    assert api.balance(get_db().session(), world.tenant.id, user_id).cash.balance != world.book.deltas[user_id]
