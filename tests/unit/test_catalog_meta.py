"""CatalogMeta's memo of answers derived from it (catalog.meta.remembered): the listing planner's
estimates are computed once per catalogue version and key, and the memo stays bounded."""
from __future__ import annotations

from chalicelib.catalog.meta import CatalogMeta


def _meta() -> CatalogMeta:
    return CatalogMeta.from_json({"c": [], "b": [], "cells": [[1, 0, 0, 1, 5, 10.0, 20.0]]})


def test_an_answer_is_computed_once_per_key():
    meta, calls = _meta(), []

    def compute(value: int):
        return lambda: calls.append(value) or value

    assert meta.remembered(("estimate", 1), compute(1)) == 1
    assert meta.remembered(("estimate", 1), compute(99)) == 1  # remembered: not recomputed
    assert meta.remembered(("estimate", 2), compute(2)) == 2
    assert calls == [1, 2]
    assert _meta().remembered(("estimate", 1), compute(3)) == 3  # another version's metadata: its own memo


def test_the_memo_is_bounded():
    meta = _meta()
    for i in range(CatalogMeta.REMEMBERED * 3):
        assert meta.remembered(i, lambda i=i: i * 2) == i * 2
        assert len(meta._remembered) <= CatalogMeta.REMEMBERED
