"""The staff contract of backups: the list, one backup, a manual backup asked for."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BackupIn(BaseModel):
    """manual: a full backup of the database now; tenant: an export of this shop's rows alone
    (KVKK data portability)."""
    model_config = ConfigDict(extra="forbid")
    kind: Literal["manual", "tenant"] = "manual"


class MismatchOut(BaseModel):
    table: str
    check: str = Field(description="file_sha256 | rows | row_sha256 | missing | unreadable")


class VerificationOut(BaseModel):
    ok: bool
    tables: int
    rows: int
    mismatches: list[MismatchOut]


class BackupOut(BaseModel):
    id: int
    kind: Literal["daily", "manual", "tenant"]
    status: Literal["queued", "running", "succeeded", "failed"]
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    size_bytes: int | None = Field(default=None, description="compressed size of the table files")
    tables: int | None = None
    verified_at: str | None = None
    verification: VerificationOut | None = None
    error: str | None = None


class BackupList(BaseModel):
    items: list[BackupOut]


class TableOut(BaseModel):
    name: str
    rows: int | None = Field(description="only in the shop's own exports")
    bytes: int


class ManifestOut(BaseModel):
    format: str
    created_at: str
    alembic_revision: str | None
    tables: list[TableOut]


class BackupDetail(BackupOut):
    manifest: ManifestOut | None = None
