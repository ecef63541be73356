"""A stand-in recommender with the real one's interface (tests of routing and the registry stay fast)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any


class PopRecommender:
    kind = "recommender"

    def __init__(self, counts: dict[str, float], pairs: dict[str, list[str]], metrics: dict[str, float],
                 fallback: bool = False) -> None:
        self.counts, self.pairs, self.metrics, self.fallback = counts, pairs, metrics, fallback
        self.items = sorted(counts)

    @classmethod
    def from_lines(cls, lines: list[tuple[str, str]], ndcg: float = 0.3, fallback: bool = False) -> PopRecommender:
        counts = Counter(item for _, item in lines)
        by_customer: dict[str, list[str]] = {}
        for customer, item in lines:
            by_customer.setdefault(customer, []).append(item)
        pairs: dict[str, list[str]] = {}
        for items in by_customer.values():
            for a in items:
                pairs.setdefault(a, []).extend(b for b in items if b != a)
        return cls({k: float(v) for k, v in counts.items()}, pairs, {"ndcg@10": ndcg, "hr@10": ndcg * 2}, fallback)

    def knows(self, item: str) -> bool:
        return item in self.counts

    def popular(self, k: int = 10) -> list[tuple[str, float]]:
        return sorted(self.counts.items(), key=lambda t: (-t[1], t[0]))[:k]

    def recommend(self, customer: str | None, k: int = 10, *, recent: Sequence[str] = (),
                  exclude: Collection[str] = ()) -> list[tuple[str, float]]:
        seeds = list(recent)
        scores: Counter[str] = Counter()
        for seed in seeds:
            scores.update(self.pairs.get(seed, []))
        ranked = [(i, float(s)) for i, s in scores.most_common()] + [(i, 0.0) for i, _ in self.popular(len(self.counts))]
        out, seen = [], set(exclude)
        for item, score in ranked:
            if item not in seen:
                seen.add(item)
                out.append((item, score))
        return out[:k]

    def similar(self, item: str, k: int = 10) -> list[tuple[str, float]]:
        if item not in self.counts:
            raise KeyError(item)
        return [(i, float(s)) for i, s in Counter(self.pairs.get(item, [])).most_common(k)]

    def complements(self, items: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
        scores: Counter[str] = Counter()
        for item in items:
            scores.update(self.pairs.get(item, []))
        return [(i, float(s)) for i, s in scores.most_common(k) if i not in items]

    def save(self, directory: Path) -> None:
        doc = {"counts": self.counts, "pairs": self.pairs, "metrics": self.metrics, "fallback": self.fallback}
        (Path(directory) / "model.json").write_text(json.dumps(doc))

    @classmethod
    def load(cls, directory: Path) -> Any:
        doc = json.loads((Path(directory) / "model.json").read_text())
        return cls(doc["counts"], doc["pairs"], doc["metrics"], doc["fallback"])
