"""The contract of paying an order from the wallet (POST /api/payment/wallet)."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import WalletOut


class WalletPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: int = Field(gt=0, lt=2**63, description="your order, pending payment")
    use_bonus: bool = Field(default=True, description="spend HPay bonus first, up to the shop's limit per order")


class WalletPaymentOut(BaseModel):
    order_id: int
    order_number: str
    status: str = Field(description="the order's status now (paid, or later along its way)")
    payment_status: str
    amount: Decimal = Field(description="what the wallet paid: the whole amount due")
    cash: Decimal = Field(description="of it, from cash")
    bonus: Decimal = Field(description="of it, from HPay bonus")
    wallet: WalletOut = Field(description="your wallet after the payment")
