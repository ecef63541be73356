"""Top-up and withdrawal requests along the seed's diagram 20 (the wallet state machine).

Top-up by bank transfer (wallet_topup_requests.status):

    WalletCreated ─▶ BalanceLoaded ─▶ PendingApproval ─▶ Approved ─▶ (credited)
                                               └───────▶ Rejected
    requested         the customer asked: a reference code and the shop's bank accounts
    pending_approval  the customer reported the transfer sent (sender, bank reference)
    approved          staff saw the money: the wallet is credited (bank_clearing → cash)
    rejected          staff did not find it

Withdrawal (wallet_withdrawal_requests.status):

    WalletCreated ─▶ WithdrawRequest ─▶ WithdrawPending ─▶ WithdrawApproved ─▶ (balance lowered)
                                                  └──────▶ WithdrawRejected ─▶ (hold released)
    pending   asked with a Turkish IBAN; the amount is held at once (request and hold are one step)
    approved  staff paid it out: the hold is posted (cash → withdrawals_payable)
    rejected  the hold is voided: the amount is available again

Only the arrows above: anything else is 409 illegal_wallet_transition.  Asking for the status a
request is already in answers it unchanged (a retried click acts once).
"""
from __future__ import annotations

from .errors import IllegalTransition

# -- top-ups
REQUESTED = "requested"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
REJECTED = "rejected"
TOPUP_STATUSES = (REQUESTED, PENDING_APPROVAL, APPROVED, REJECTED)
TOPUP_MOVES: dict[str, frozenset[str]] = {
    REQUESTED: frozenset({PENDING_APPROVAL}),
    PENDING_APPROVAL: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
}

# -- withdrawals
PENDING = "pending"
WITHDRAWAL_STATUSES = (PENDING, APPROVED, REJECTED)
WITHDRAWAL_MOVES: dict[str, frozenset[str]] = {
    PENDING: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
}


def check(moves: dict[str, frozenset[str]], current: str, target: str) -> None:
    """409 illegal_wallet_transition unless `target` may follow `current`."""
    allowed = moves.get(current, frozenset())
    if target not in allowed:
        raise IllegalTransition(current, target, allowed)
