"""The catalogue at scale (issue 16): listing, facets, search and suggestions at 10,000 and
100,000 products, each call a NEW combination drawn at random from everything the API accepts.

Cases `scale_{list,facets,search,suggest}_{10k,100k}` (registered into bench.cases.CASES on
import).  Each call draws, from a seeded random.Random (reproducible run to run), a category
(root, mid, leaf or none), 0-3 brands, price bounds inside the shop's range, in_stock, 0-2
attribute filters from the tenant's real attribute and variation-option values, a sort
(relevance only with q), a limit (1..100) and, for some, the second page through the first
page's cursor; q from real words of the tenant's product names (whole words, prefixes, two words,
Turkish letters, folded, upper case, typos).  Answers are not cached (caching.responses_enabled
False before each call, as the other uncached cases), so every call runs its SQL.

Second pages: the first page is fetched UNTIMED in next_event, only the second page is timed.

Besides the runner's percentiles each case reports `slowest`: the slowest combinations by name,
each re-timed 3 times after the run (re-timed median first, so a real slow shape stands apart
from a one-off stall), and `by_feature`: p50/p99 per feature of the drawn combinations (sort,
category level, brands, price, attribute, q kind, page 2, limit), to see which dimension is slow.
"""
from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from time import perf_counter_ns
from typing import Any

from .cases import Plan, case
from .environment import BenchEnv, NotInThisMode
from .events import api_event, fresh, response_json
from .stats import percentile

SIZES = ("10k", "100k")
KINDS = ("list", "facets", "search", "suggest")
SORTS = ("newest", "price_asc", "price_desc", "best_selling", "rating")
COMMON_LIMITS = (12, 20, 24, 36, 48, 60, 96, 100)
SLOWEST = 10
RETIMES = 3


_EDGES = "()[]{},.;:!?\"'-–/+*"


class ScaleUnavailable(NotInThisMode):
    """The 100k tenant is not there (--quick runs do not seed it)."""


# -- what a tenant offers to draw from -------------------------------------------------------------
@dataclass(frozen=True)
class Category:
    id: int
    name: str
    level: str  # root, mid, leaf


@dataclass
class Taxonomy:
    categories: list[Category]
    brands: list[tuple[int, str]]
    price_range: tuple[Decimal, Decimal]
    attributes: list[tuple[str, str, int]]  # (key, value, products having it), distinct pairs
    names: list[str]  # product names (a sample), for words and two-word queries
    words: list[str] = field(default_factory=list)  # distinct words of `names`, 2+ letters

    def __post_init__(self) -> None:
        if not self.words:
            seen: dict[str, None] = {}
            for name in self.names:
                for word in name.split():
                    word = word.strip(_EDGES)  # "(Yeni)" → "Yeni": typed words start with a letter
                    if sum(ch.isalpha() for ch in word) >= 2 and word[0].isalnum():
                        seen.setdefault(word, None)
            self.words = sorted(seen)


def load_taxonomy(tenant_id: int) -> Taxonomy:
    """Read what the generator draws from (untimed, once per case)."""
    import json

    from chalicelib.platform.db import get_db

    session = get_db().session()
    cats = session.all("SELECT id, parent_id, name, is_active FROM categories WHERE tenant_id = %s ORDER BY id",
                       (tenant_id,))
    parents = {c["parent_id"] for c in cats if c["parent_id"]}
    categories = [Category(int(c["id"]), c["name"], "root" if c["parent_id"] is None
                           else "mid" if c["id"] in parents else "leaf") for c in cats if c["is_active"]]
    brands = [(int(b["id"]), b["name"]) for b in session.all(
        "SELECT id, name FROM brands WHERE tenant_id = %s AND is_active = 1 ORDER BY id", (tenant_id,))]
    bounds = session.one("SELECT MIN(base_price) AS lo, MAX(base_price) AS hi FROM products "
                         "WHERE tenant_id = %s AND status = 'active'", (tenant_id,)) or {}
    low, high = bounds["lo"], bounds["hi"]
    counts: dict[tuple[str, str], int] = {}
    rows = session.all("SELECT name, attributes FROM products WHERE tenant_id = %s AND status = 'active' "
                       "ORDER BY id LIMIT 20000", (tenant_id,))
    for row in rows:
        for key, value in (json.loads(row["attributes"]) if row["attributes"] else {}).items():
            counts[(key, str(value))] = counts.get((key, str(value)), 0) + 1
    for row in session.all("SELECT product_id, options FROM product_variations WHERE tenant_id = %s AND "
                           "options IS NOT NULL ORDER BY id LIMIT 60000", (tenant_id,)):
        for key, value in json.loads(row["options"]).items():
            counts[(key, str(value))] = counts.get((key, str(value)), 0) + 1
    attributes = sorted((k, v, n) for (k, v), n in counts.items() if len(v) <= 100)
    names = [r["name"] for r in rows[:5000]]
    return Taxonomy(categories, brands, (Decimal(low), Decimal(high)), attributes, names)


# -- combinations -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Combination:
    kind: str
    query: dict[str, str | list[str]]
    name: str
    features: tuple[str, ...]
    page2: bool = False

    @property
    def resource(self) -> str:
        return "/api/products/suggest" if self.kind == "suggest" else "/api/products"


_TR_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def turkish_upper(text: str) -> str:
    return text.translate(_TR_UPPER).upper()


class Generator:
    """Draws combinations from a Taxonomy: pure, reproducible for a seed."""

    def __init__(self, taxonomy: Taxonomy, seed: int) -> None:
        self.t = taxonomy
        self.rng = random.Random(seed)
        self.levels = {level: [c for c in taxonomy.categories if c.level == level] for level in ("root", "mid", "leaf")}

    def draw(self, kind: str) -> Combination:
        if kind == "suggest":
            return self._suggest()
        rng = self.rng
        query: dict[str, str | list[str]] = {}
        parts: list[str] = []
        features: list[str] = []
        # How often each filter is drawn: listings and facet panels filter a lot, searches less.
        chance = {"list": (0.75, 0.5, 0.4, 0.3, 0.4, 0.0, 0.25), "facets": (0.7, 0.5, 0.4, 0.3, 0.35, 0.2, 0.1),
                  "search": (0.25, 0.2, 0.2, 0.2, 0.1, 1.0, 0.25)}[kind]
        p_category, p_brand, p_price, p_stock, p_attr, p_q, p_page2 = chance
        if kind == "facets":
            query["facets"] = "true"
        q = None
        if rng.random() < p_q:
            q, label = self._text()
            query["q"] = q
            parts.append(f'q="{q}"({label})')
            features.append(f"q={label}")
        if rng.random() < p_category:
            level = rng.choice([lv for lv in ("root", "mid", "leaf") if self.levels[lv]])
            cat = rng.choice(self.levels[level])
            query["category_id"] = str(cat.id)
            parts.append(f"cat={cat.name}({level})")
            features.append(f"cat={level}")
        else:
            features.append("cat=none")
        if rng.random() < p_brand and self.t.brands:
            n = min(rng.choices((1, 2, 3), (5, 3, 2))[0], len(self.t.brands))
            chosen = rng.sample(self.t.brands, n)
            query["brand_id"] = [str(b) for b, _ in chosen]
            parts.append(f"brand={chosen[0][1]}" if n == 1 else f"brand×{n}")
            features.append(f"brand×{n}")
        if rng.random() < p_price:
            low, high = self._price(), self._price()
            low, high = min(low, high), max(low, high)
            mode = rng.choice(("min", "max", "both"))
            if mode in ("min", "both"):
                query["min_price"] = str(low)
            if mode in ("max", "both"):
                query["max_price"] = str(high)
            parts.append({"min": f"price>={low}", "max": f"price<={high}", "both": f"price {low}-{high}"}[mode])
            features.append(f"price={mode}")
        if rng.random() < p_stock:
            query["in_stock"] = "true"
            parts.append("in_stock")
            features.append("in_stock")
        if rng.random() < p_attr and self.t.attributes:
            attrs = self._attributes(rng.choices((1, 2), (3, 1))[0])
            query["attr"] = attrs
            parts.append("attr " + ",".join(attrs))
            features.append(f"attr×{len({a.split(':', 1)[0] for a in attrs})}")
        sorts = [None, *SORTS, *(["relevance", "relevance"] if q else [])]
        if q and rng.random() < 0.5:
            sort = None  # relevance, the default with q
        else:
            sort = rng.choice(sorts)
        if sort:
            query["sort"] = sort
        parts.append(f"sort={sort or ('relevance' if q else 'newest')}" + ("" if sort else "(default)"))
        features.append(f"sort={sort or ('relevance' if q else 'newest')}")
        limit = rng.choice(COMMON_LIMITS) if rng.random() < 0.6 else rng.randint(1, 100)
        query["limit"] = str(limit)
        parts.append(f"limit={limit}")
        features.append("limit<=24" if limit <= 24 else "limit<=60" if limit <= 60 else "limit>60")
        page2 = rng.random() < p_page2
        if page2:
            parts.append("page2")
            features.append("page2")
        return Combination(kind, query, " ".join(parts), tuple(features), page2)

    def _price(self) -> Decimal:
        low, high = (float(x) for x in self.t.price_range)
        # Log-uniform: shops' prices spread over orders of magnitude (150 TL to 90,000 TL).
        value = low * (high / low) ** self.rng.random() if low > 0 else self.rng.uniform(low, high)
        whole = Decimal(min(max(int(value), math.ceil(low)), math.floor(high)))  # inside the shop's range
        return whole + Decimal("0.90") if self.rng.random() < 0.2 and whole + 1 < self.t.price_range[1] else whole

    def _attributes(self, filters: int) -> list[str]:
        rng, chosen, keys = self.rng, [], set()
        for _ in range(filters):
            pool = [a for a in self.t.attributes if a[0] not in keys]
            if not pool:
                break
            # Half by how common the value is, half uniform over distinct values (rare ones find
            # the slow walks).
            key, value, _n = rng.choices(pool, [a[2] for a in pool])[0] if rng.random() < 0.5 else rng.choice(pool)
            keys.add(key)
            values = [value]
            same = [a[1] for a in self.t.attributes if a[0] == key and a[1] != value]
            if same and rng.random() < 0.2:
                values.append(rng.choice(same))
            for v in values:
                chosen.append(f"{key}:{v.lower() if rng.random() < 0.2 else v}")
        return chosen

    def _text(self) -> tuple[str, str]:
        """A search text as shoppers type it, and what kind it is."""
        from chalicelib.platform.text import fold

        rng = self.rng
        kind = rng.choices(("word", "prefix", "two", "folded", "upper", "typo"), (3, 2, 3, 2, 1, 2))[0]
        word = rng.choice(self.t.words)
        if kind == "word":
            return word, kind
        if kind == "prefix":
            return (word[:rng.randint(3, len(word) - 1)] if len(word) > 3 else word), kind
        if kind == "two":
            return self._two_words(), kind
        if kind == "folded":
            return fold(self._two_words() if rng.random() < 0.5 else word), kind
        if kind == "upper":
            return turkish_upper(self._two_words() if rng.random() < 0.5 else word), kind
        return self._typo(), kind

    def _two_words(self) -> str:
        for _ in range(20):
            words = self.rng.choice(self.t.names).split()
            if len(words) >= 2:
                i = self.rng.randrange(len(words) - 1)
                return " ".join(words[i:i + 2])
        return self.rng.choice(self.t.words)

    def _typo(self) -> str:
        rng = self.rng
        long_words = [w for w in self.t.words if len(w) >= 5] or self.t.words
        word = rng.choice(long_words).lower()
        i = rng.randrange(1, len(word) - 1) if len(word) > 2 else 0
        edit = rng.choice(("drop", "swap", "double", "replace"))
        if edit == "drop":
            typo = word[:i] + word[i + 1:]
        elif edit == "swap" and i + 1 < len(word):
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif edit == "double":
            typo = word[:i] + word[i] + word[i:]
        else:
            typo = word[:i] + rng.choice("aeiklmnrst") + word[i + 1:]
        if rng.random() < 0.4:  # with a correct second word
            other = rng.choice(self.t.words)
            return f"{typo} {other}" if rng.random() < 0.5 else f"{other} {typo}"
        return typo

    def _suggest(self) -> Combination:
        """What a search box sends while typing: a word's first 1..n letters, or a whole word and
        the start of the next; Turkish or folded, sometimes with a typo."""
        from chalicelib.platform.text import fold

        rng = self.rng
        kind = rng.choices(("prefix", "two", "folded", "typo"), (4, 3, 2, 1))[0]
        if kind == "two":
            first, second = (self._two_words().split() + [""])[:2]
            text = f"{first} {second[:rng.randint(1, max(1, len(second)))]}".strip()
        elif kind == "typo":
            text = self._typo()
        else:
            word = rng.choice(self.t.words)
            text = word[:rng.randint(1, len(word))]
            if kind == "folded":
                text = fold(text) or text
        letters = len(text.replace(" ", ""))
        return Combination("suggest", {"q": text}, f'q="{text}"({kind})',
                           (f"q={kind}", "letters<=2" if letters <= 2 else "letters<=5" if letters <= 5 else "letters>5"))


# -- the cases ---------------------------------------------------------------------------------------
@dataclass
class _Call:
    combination: Combination
    event: dict[str, Any]
    ns: int


class Drawn:
    """Draws a combination per call, times the app call itself (the runner times the same
    call; this copy keeps the combination's name with it) and reports the slowest."""

    def __init__(self, env: BenchEnv, size: str, kind: str, warmup: int) -> None:
        from functions.catalog import app

        if size not in env.catalogues:
            raise ScaleUnavailable(f"no {size} catalogue tenant (not seeded in --quick runs)")
        self.tenant_id, self.api_key = env.catalogues[size]
        self.kind, self.app, self.warmup = kind, app, warmup
        self.taxonomy = load_taxonomy(self.tenant_id)
        self.generator = Generator(self.taxonomy, seed=zlib.crc32(f"scale_{kind}_{size}".encode()))
        self.current: tuple[Combination, dict[str, Any]] | None = None
        self.last_ns = 0
        self.seen = 0
        self.calls: list[_Call] = []

    def event(self, combination: Combination, query: dict[str, Any] | None = None) -> dict[str, Any]:
        return api_event("GET", combination.resource, api_key=self.api_key, query=query or combination.query)

    def next_event(self) -> dict[str, Any]:
        from chalicelib.catalog import caching

        caching.responses_enabled = False
        combination = self.generator.draw(self.kind)
        event = self.event(combination)
        if combination.page2:  # the first page, untimed: its cursor makes the timed second page
            first = self.app(event, None)
            if first.get("statusCode") != 200:
                raise RuntimeError(f"{combination.name}: first page {first.get('statusCode')}: "
                                   f"{str(first.get('body'))[:300]}")
            cursor = response_json(first).get("next_cursor")
            if cursor:
                event = self.event(combination, {**combination.query, "cursor": cursor})
            else:  # a single page: time the first (named so)
                combination = Combination(combination.kind, combination.query,
                                          combination.name.replace(" page2", " (one page only)"),
                                          tuple(f for f in combination.features if f != "page2"))
        self.current = (combination, event)
        return fresh(event)

    def timed_app(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = perf_counter_ns()
        response = self.app(event, context)
        self.last_ns = perf_counter_ns() - started
        return response

    def after(self, response: dict[str, Any]) -> None:
        self.seen += 1
        if self.seen > self.warmup and self.current is not None:
            self.calls.append(_Call(self.current[0], self.current[1], self.last_ns))

    def report(self) -> dict[str, Any]:
        """After the timed calls: the slowest combinations re-timed, and percentiles by feature."""
        from chalicelib.catalog import caching

        caching.responses_enabled = False
        candidates = sorted(self.calls, key=lambda c: -c.ns)[:2 * SLOWEST]
        slowest: list[dict[str, Any]] = []
        for call in candidates:
            again = []
            for _ in range(RETIMES):
                started = perf_counter_ns()
                response = self.app(fresh(call.event), None)
                again.append((perf_counter_ns() - started) / 1e6)
                if response.get("statusCode") != 200:
                    raise RuntimeError(f"{call.combination.name}: re-timed status {response.get('statusCode')}")
            slowest.append({"name": call.combination.name, "ms": round(call.ns / 1e6, 2),
                            "retimed_ms": [round(x, 2) for x in again],
                            "retimed_median_ms": round(sorted(again)[len(again) // 2], 2),
                            "query": call.combination.query})
        slowest.sort(key=lambda s: -float(s["retimed_median_ms"]))
        by_feature: dict[str, list[float]] = {}
        for call in self.calls:
            for feature in call.combination.features:
                by_feature.setdefault(feature, []).append(call.ns / 1e6)
        return {
            "slowest": slowest[:SLOWEST],
            "by_feature": {f: {"n": len(v), "p50_ms": round(percentile(v, 50), 2), "p99_ms": round(percentile(v, 99), 2),
                               "max_ms": round(max(v), 2)}
                           for f, v in sorted(by_feature.items())},
            "distinct_combinations": len({c.combination.name for c in self.calls}),
        }


def _register(size: str, kind: str) -> None:
    warmup = 30
    what = {"list": "GET /api/products with filters and sorts", "facets": "GET /api/products?facets=true",
            "search": "GET /api/products?q=", "suggest": "GET /api/products/suggest?q="}[kind]

    @case(f"scale_{kind}_{size}", iterations=3000, quick=300, warmup=warmup, budget_seconds=35,
          description=f"{what} at {size} products: a new random combination per call, not cached")
    def build(env: BenchEnv) -> Plan:
        drawn = Drawn(env, size, kind, warmup)
        report: Callable[[], dict[str, Any]] = drawn.report
        return Plan(drawn.timed_app, drawn.next_event, after=drawn.after,
                    info={"response_cache": "off", "catalogue": size, "tenant_id": drawn.tenant_id,
                          "second_page": "first page untimed, second page timed",
                          "categories": len(drawn.taxonomy.categories), "brands": len(drawn.taxonomy.brands),
                          "attribute_values": len(drawn.taxonomy.attributes), "words": len(drawn.taxonomy.words),
                          "_report": report})


for _size in SIZES:
    for _kind in KINDS:
        _register(_size, _kind)
