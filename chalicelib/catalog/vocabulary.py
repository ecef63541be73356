"""A tenant's search vocabulary: every folded word of its active products' search_text (name,
brand and category path) with the number of products containing it.  Pure data, stdlib only.

What it is for:
- **Typo tolerance.**  A query word that is no prefix of any known word cannot match anything
  in the FULLTEXT index, so it is corrected *before* the query runs (no failed round trip): the
  known words whose beginning is within a bounded Damerau-Levenshtein (optimal string alignment)
  distance of it — 1 edit for 4-7 letters, 2 from 8, none below 4 where one edit is a different
  word.  Candidates come from a bigram index with positions (the q-gram lemma: k edits destroy
  at most 2k of a word's bigrams, so a candidate must share all but 2k of them within its first
  len+k letters); only those few get the exact distance.  Comparing with word *prefixes* keeps
  it working while the shopper is still typing ("sisne yat" → "sisme", "yat...").
- **Cost estimates.**  How many products a word (prefix) can match at most, so the planner
  (catalog.search) picks the cheap strategy for broad and narrow words.
- **Autocomplete** of the last word by frequency.

Sizes: a shop's names, brands and categories use a few hundred to a few thousand distinct
words; the bigram index is built lazily, on the first correction, in a few milliseconds.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate

from chalicelib.platform.text import fold

MAX_CORRECTIONS = 3
_FOLDED = re.compile(r"[a-z0-9 ]*")


def max_edits(length: int) -> int:
    if length < 4:
        return 0
    return 1 if length < 8 else 2


def bigrams(word: str) -> list[str]:
    return [word[i:i + 2] for i in range(len(word) - 1)]


@dataclass
class Vocabulary:
    words: list[str]  # sorted, distinct
    df: list[int]  # products containing words[i]
    _cum: list[int] = field(default_factory=list, repr=False)
    _grams: dict[str, list[tuple[int, int]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._cum = [0, *accumulate(self.df)]

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> Vocabulary:
        words = sorted(w for w in counts if w)
        return cls(words, [int(counts[w]) for w in words])

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        return cls.from_counts(count_words(texts))

    def counts(self) -> dict[str, int]:
        return dict(zip(self.words, self.df, strict=True))

    def __len__(self) -> int:
        return len(self.words)

    # -- prefixes --------------------------------------------------------------------------
    def prefix_range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\uffff", lo)
        return lo, hi

    def has_prefix(self, prefix: str) -> bool:
        lo, hi = self.prefix_range(prefix)
        return hi > lo

    def prefix_df(self, prefix: str) -> int:
        """Upper bound of the products having a word that starts with `prefix`."""
        lo, hi = self.prefix_range(prefix)
        return self._cum[hi] - self._cum[lo]

    def completions(self, prefix: str, limit: int) -> list[str]:
        lo, hi = self.prefix_range(prefix)
        ranked = sorted(range(lo, hi), key=lambda i: (-self.df[i], self.words[i]))
        return [self.words[i] for i in ranked[:limit]]

    # -- typo tolerance --------------------------------------------------------------------
    def corrections(self, term: str, limit: int = MAX_CORRECTIONS) -> list[str]:
        """Known word beginnings within `max_edits(len(term))` of `term`, best first (fewest
        edits, then most products).  Empty when the term is short or nothing is close."""
        k = max_edits(len(term))
        if k == 0 or not self.words:
            return []
        scored: dict[str, tuple[int, int]] = {}
        for index in self._candidates(term, k):
            found = prefix_distance(term, self.words[index], k)
            if found is None:
                continue
            distance, prefix = found
            rank = (distance, -self.df[index])
            if prefix != term and (prefix not in scored or rank < scored[prefix]):
                scored[prefix] = rank
        return [p for p, _ in sorted(scored.items(), key=lambda item: (item[1], item[0]))[:limit]]

    def _candidates(self, term: str, k: int) -> list[int]:
        grams = set(bigrams(term))
        need = max(1, len(grams) - 2 * k)
        last_start = len(term) + k - 2  # a bigram must lie within the first len+k letters
        hits: Counter[int] = Counter()
        index = self._gram_index()
        for gram in grams:
            for word_index, position in index.get(gram, ()):
                if position <= last_start:
                    hits[word_index] += 1
        low = len(term) - k
        return [i for i, n in hits.items() if n >= need and len(self.words[i]) >= low]

    def _gram_index(self) -> dict[str, list[tuple[int, int]]]:
        if self._grams is None:
            grams: dict[str, list[tuple[int, int]]] = {}
            for index, word in enumerate(self.words):
                first: dict[str, int] = {}
                for position, gram in enumerate(bigrams(word)):
                    first.setdefault(gram, position)
                for gram, position in first.items():
                    grams.setdefault(gram, []).append((index, position))
            self._grams = grams
        return self._grams


def count_words(texts: Iterable[str]) -> dict[str, int]:
    """Products per word.  search_text is folded already; anything else (a name standing in for
    a missing search_text) is folded here."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not _FOLDED.fullmatch(text):
            text = fold(text)
        counts.update(set(text.split()))
    return dict(counts)


def prefix_distance(term: str, word: str, k: int) -> tuple[int, str] | None:
    """The smallest optimal-string-alignment distance between `term` and a beginning of `word`
    whose length is within k of the term's, with that beginning; None when above k."""
    m = len(term)
    target = word[: m + k]
    n = len(target)
    previous2: list[int] = []
    previous = list(range(n + 1))
    for i in range(1, m + 1):
        row = [i] + [0] * n
        a = term[i - 1]
        for j in range(1, n + 1):
            b = target[j - 1]
            cost = 0 if a == b else 1
            value = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == target[j - 2] and term[i - 2] == b:
                value = min(value, previous2[j - 2] + 1)
            row[j] = value
        if min(row) > k:
            return None
        previous2, previous = previous, row
    # Fewest edits first; among equals the longest beginning (the whole word when in reach).
    reachable = [(previous[j], -j) for j in range(max(1, m - k), n + 1) if previous[j] <= k]
    if not reachable:
        return None
    distance, negative_length = min(reachable)
    return distance, target[:-negative_length]
