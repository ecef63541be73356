"""Orders paid from the wallet, and refunds paid back into it (issue 11 item 5, W4).

    pay_order       POST /api/payment/wallet: an order pending payment, paid in full from cash and
                    HPay bonus (bonus first, up to the tenant's `bonus_max_per_order`), in one
                    transaction: one entry "order-<order_id>" (customer cash / bonus → shop_revenue),
                    the orders' payment row (provider and method "wallet") and mark_paid.
    hold_for_order  wallet + card (the payments issue): the wallet part of one payment attempt
                    held - holds "order-<id>-<attempt>-bonus" / "-cash" - until the order's
                    reservation runs out.  A new attempt voids an earlier attempt's pending holds
                    (the customer gave up on that bank page): one wallet part per order at a time.
    capture_for_order   the attempt's card succeeded: its holds posted, the wallet's payment row
                    recorded; returns what was captured - less than asked when its holds were
                    voided or expired meanwhile, and then the caller must not mark the order paid
    release_for_order   the attempt's card failed (or the order was cancelled): its holds voided
    refund          a WalletRefundRequested refund: credited (entry "refund-<refund_id>",
                    shop_revenue → cash) and confirmed with orders.api.refund_succeeded together

Lock order (ledger.py): the Idempotency-Key, the order row (orders.api.lock_order: it serialises
everything paid on one order, so a second payment waits and then finds it paid), the
orders' rows (payment, stock through mark_paid, refunds), the customer's accounts, the entry's
transfer id, and the shop_revenue account last.

`settings.wallet.bonus_max_per_order`: the most HPay bonus one order may take (an amount).
Unset, it is 0: a shop spends bonus on orders only once it has chosen the limit.  Bonus spent
comes off the customer's bonus grants, the soonest expiring first (bonus.spend).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from chalicelib.orders import api as orders
from chalicelib.platform import i18n, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import Conflict

from . import accounts, ledger
from . import repository as repo
from .accounts import BONUS, CASH, SHOP_REVENUE, Wallet
from .bonus import spend as spend_bonus
from .errors import InsufficientFunds, LedgerError
from .ledger import CENT, Entry, Hold, HoldSpec, Line

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant

WALLET_PAYMENT = idempotency.Operation("wallet_order_payment")
PROVIDER = METHOD = "wallet"
KIND, REFUND_KIND = "order_payment", "order_refund"

i18n.register(messages={
    "order_not_payable": {
        "tr": "Sipariş ödenebilir durumda değil ({status}).",
        "en": "The order cannot be paid ({status}).",
    },
})


class OrderNotPayable(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__("order_not_payable", params={"status": status}, details={"status": status})


@dataclass(frozen=True)
class Paid:
    order_id: int
    amount: Decimal
    cash: Decimal
    bonus: Decimal
    replayed: bool = False
    # the order right after it was paid (None on a replay: the route shows the order as it is now)
    order_number: str | None = None
    status: str | None = None
    payment_status: str | None = None


def bonus_limit(tenant_settings: dict[str, Any] | None) -> Decimal:
    """`settings.wallet.bonus_max_per_order`; unset or malformed: 0 (no bonus on orders)."""
    section = (tenant_settings or {}).get("wallet")
    raw = section.get("bonus_max_per_order") if isinstance(section, dict) else None
    try:
        value = Decimal(str(raw)).quantize(CENT) if raw is not None else Decimal("0.00")
    except (InvalidOperation, ValueError):
        return Decimal("0.00")
    return value if value.is_finite() and value > 0 else Decimal("0.00")


def pay_order(db: Database, tenant: Tenant, user_id: int, order_id: int, *, use_bonus: bool,
              header: str | None) -> Paid:
    """Pay the user's order in full from the wallet.  404 for an order not the user's, 409
    order_not_payable unless pending payment, 409 insufficient_funds; nothing half-done."""
    key = idempotency.key(tenant.id, WALLET_PAYMENT, user_id, header, {"order_id": order_id, "use_bonus": use_bonus})
    limit = bonus_limit(tenant.settings) if use_bonus else Decimal("0.00")
    accounts.system_account(db.session(), tenant.id, SHOP_REVENUE, tenant.currency)  # created outside the payment

    def work(uow: UnitOfWork) -> Paid:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            body = earlier.body
            return Paid(int(body["order_id"]), Decimal(body["amount"]), Decimal(body["cash"]), Decimal(body["bonus"]),
                        replayed=True)  # the order as it is now: the route reads it
        order = orders.lock_order(uow, tenant.id, order_id, user_id=user_id)
        if order["status"] != orders.PENDING_PAYMENT:
            raise OrderNotPayable(order["status"])
        due: Decimal = order["grand_total"] - order["paid_total"]
        cash = bonus = Decimal("0.00")
        if due > 0:
            wallet = _wallet(uow, tenant.id, user_id, due)
            bonus, cash = _split(uow, tenant.id, wallet, due, limit)
            orders.record_payment(uow, tenant.id, order_id, provider=PROVIDER, method=METHOD, amount=due,
                                  provider_payment_id=f"order-{order_id}", details={"cash": cash, "bonus": bonus},
                                  locked=order)
        paid_order = orders.mark_paid(uow, tenant.id, order_id, amount=due, method=METHOD, note="paid from the wallet",
                                      locked=order)
        if due > 0:
            book(uow, tenant.id, wallet, bonus, cash, transfer_id=f"order-{order_id}", order_id=order_id,
                 description=f"order {order['order_number']}", user_id=user_id)
        paid = Paid(order_id, due, cash, bonus, order_number=order["order_number"], status=paid_order["status"],
                    payment_status=paid_order["payment_status"])
        idempotency.record(uow, key, 201, {"order_id": order_id, "amount": due, "cash": cash, "bonus": bonus,
                                           "order_number": paid.order_number, "status": paid.status,
                                           "payment_status": paid.payment_status})
        uow.commit()
        return paid

    return db.transaction(work)


def book(uow: UnitOfWork, tenant_id: int, wallet: Wallet, bonus: Decimal, cash: Decimal, *, transfer_id: str,
         order_id: int, description: str, user_id: int) -> None:
    """The payment's entry (the customer's bonus and cash → shop_revenue, the hot row, locked
    last) and the bonus it took off the grants, soonest expiring first.  After _split locked the
    customer's accounts."""
    lines = [Line(wallet.bonus, -bonus)] if bonus else []
    lines += [Line(wallet.cash, -cash)] if cash else []
    revenue = accounts.system_account(uow, tenant_id, SHOP_REVENUE)
    posted = ledger.post(uow, tenant_id, Entry(transfer_id, KIND, (*lines, Line(revenue, bonus + cash)), "order",
                                               str(order_id), description, user_id))
    if bonus and not posted.replayed:
        spend_bonus(uow, tenant_id, wallet.bonus.id, bonus)


def _wallet(uow: UnitOfWork, tenant_id: int, user_id: int, due: Decimal) -> Wallet:
    wallet = accounts.find_wallet(uow, tenant_id, user_id)
    if wallet is None:
        raise InsufficientFunds(Decimal(0), due)
    return wallet


def _split(uow: UnitOfWork, tenant_id: int, wallet: Wallet, due: Decimal, limit: Decimal) -> tuple[Decimal, Decimal]:
    """(bonus, cash) paying `due`: bonus first up to `limit`, the rest cash; the customer's rows
    locked here, so what was available stays so.  409 insufficient_funds when they fall short."""
    rows = repo.lock_accounts(uow, tenant_id, [wallet.cash.id, wallet.bonus.id])
    available = {code: max(rows[a.id]["balance"] - rows[a.id]["pending_debit"], Decimal(0))
                 for code, a in ((CASH, wallet.cash), (BONUS, wallet.bonus))}
    bonus = min(available[BONUS], limit, due)
    cash = due - bonus
    if cash > available[CASH]:
        raise InsufficientFunds(available[CASH] + bonus, due)
    return bonus, cash


# -- wallet + card ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderHold:
    order_id: int
    cash: Hold | None
    bonus: Hold | None

    @property
    def amount(self) -> Decimal:
        return sum((h.amount for h in (self.cash, self.bonus) if h is not None), Decimal("0.00"))


def _hold_id(order_id: int, attempt: str, code: str) -> str:
    return f"order-{order_id}-{attempt}-{code}"


def hold_for_order(uow: UnitOfWork, tenant_id: int, user_id: int, order_id: int, amount: Decimal, *, attempt: str,
                   tenant_settings: dict[str, Any] | None = None, use_bonus: bool = True) -> OrderHold:
    """Hold `amount` of the user's wallet (bonus first, within the tenant's limit) for their
    order pending payment, for payment attempt `attempt` (the caller's stable name for it, e.g.
    "a812"), until the order's reservation runs out (then the sweeper releases it).  The same call
    again answers the same holds; another attempt's pending holds on the order are voided first.
    404 / 409 as pay_order; more than the amount due is 409 amount_mismatch."""
    if not attempt or "-" in attempt or len(attempt) > 24:
        raise LedgerError(f"an attempt name is 1-24 characters without '-', not {attempt!r}")
    order = orders.lock_order(uow, tenant_id, order_id, user_id=user_id)
    if order["status"] != orders.PENDING_PAYMENT:
        raise OrderNotPayable(order["status"])
    due = order["grand_total"] - order["paid_total"]
    if not 0 < amount <= due or amount != amount.quantize(CENT):
        raise Conflict("amount_mismatch", details={"amount": amount, "amount_due": due})
    wallet = _wallet(uow, tenant_id, user_id, amount)
    found = {code: repo.hold_by_transfer(uow, tenant_id, _hold_id(order_id, attempt, code)) for code in (BONUS, CASH)}
    if any(found.values()):  # a retry: the split was made the first time
        parts = {code: Decimal(0) if row is None else row["amount"] for code, row in found.items()}
    else:
        for earlier in repo.pending_holds_like(uow, tenant_id, f"order-{order_id}-"):
            ledger.void_hold(uow, tenant_id, int(earlier["id"]))
        limit = bonus_limit(tenant_settings) if use_bonus else Decimal("0.00")
        parts = dict(zip((BONUS, CASH), _split(uow, tenant_id, wallet, amount, limit), strict=True))
    revenue = accounts.system_account(uow, tenant_id, SHOP_REVENUE)
    until = order.get("reserved_until")
    held: dict[str, Hold | None] = {}
    for code in (BONUS, CASH):
        held[code] = None if not parts[code] else ledger.reserve(uow, tenant_id, HoldSpec(
            _hold_id(order_id, attempt, code), KIND, wallet.account(code), revenue, parts[code], until, "order",
            str(order_id),
            f"order {order['order_number']} (wallet part)"))
    return OrderHold(order_id, held[CASH], held[BONUS])


def capture_for_order(uow: UnitOfWork, tenant_id: int, order_id: int, *, attempt: str) -> Decimal:
    """The attempt's card part succeeded: post its pending wallet holds and record the wallet's
    payment row; returns the amount captured (0 when there was no hold, or its holds were voided
    or expired meanwhile: the caller compares with what it held and, short, must not mark the
    order paid).  The caller records its own payment and calls orders.api.mark_paid."""
    orders.lock_order(uow, tenant_id, order_id)
    captured, fresh = Decimal("0.00"), False
    rows = [(code, row) for code in (BONUS, CASH)
            if (row := repo.hold_by_transfer(uow, tenant_id, _hold_id(order_id, attempt, code))) is not None]
    if any(row["status"] in (ledger.VOIDED, ledger.EXPIRED) for _, row in rows):
        return captured  # all or nothing: a part is gone, so nothing is taken
    for code, row in rows:
        posted = ledger.post_hold(uow, tenant_id, int(row["id"]))
        captured += posted.posted_amount or Decimal(0)
        fresh = fresh or not posted.replayed
        if code == BONUS and posted.posted_amount and not posted.replayed:
            spend_bonus(uow, tenant_id, int(row["debit_account_id"]), posted.posted_amount)
    # A second capture (the card's callback delivered twice) posts nothing new: the payment row
    # was recorded by the first, and recording it again would break ux_provider_payment.
    if captured and fresh:
        orders.record_payment(uow, tenant_id, order_id, provider=PROVIDER, method=METHOD, amount=captured,
                              provider_payment_id=f"order-{order_id}-{attempt}-hold")
    return captured


def release_for_order(uow: UnitOfWork, tenant_id: int, order_id: int, *, attempt: str) -> Decimal:
    """The attempt's card part failed: void its pending wallet holds; returns the amount released."""
    released = Decimal("0.00")
    for code in (BONUS, CASH):
        row = repo.hold_by_transfer(uow, tenant_id, _hold_id(order_id, attempt, code))
        if row is not None and row["status"] == ledger.PENDING:
            released += ledger.void_hold(uow, tenant_id, int(row["id"])).amount
    return released


# -- refunds -----------------------------------------------------------------------------------
def refund(db: Database, tenant_id: int, refund_id: int) -> bool:
    """Pay a requested refund back into its buyer's cash and confirm it to orders, together.
    False when there was nothing to do (unknown, or confirmed already: a redelivery)."""

    def work(uow: UnitOfWork) -> bool:
        found = orders.get_refund(uow, tenant_id, refund_id)
        if found is None or found["status"] != "requested":
            return False
        if found["user_id"] is None:  # the buyer's account was deleted: staff pay it back by hand
            raise LedgerError(f"refund {refund_id} has no customer to credit")
        orders.refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=f"refund-{refund_id}")
        wallet = accounts.open_wallet(uow, tenant_id, int(found["user_id"]), found["currency"])
        revenue = accounts.system_account(uow, tenant_id, SHOP_REVENUE)
        amount: Decimal = found["amount"]
        ledger.post(uow, tenant_id, Entry(f"refund-{refund_id}", REFUND_KIND, (Line(wallet.cash, amount),
                                                                              Line(revenue, -amount)),
                                          "order", str(found["order_id"]), f"refund {refund_id}"))
        uow.commit()
        return True

    return bool(db.transaction(work))
