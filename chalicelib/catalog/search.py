"""Turkish product search: what a query means, and how to run it cheaply.  Pure functions.

1. **Folding.**  The query is folded exactly like `products.search_text` (platform.text.fold:
   ı/I/i/İ → i, ş → s, ğ → g, ç → c, ö → o, ü → u, lower case, punctuation to spaces), so
   "ŞİŞME", "şişme" and "sisme" are one word.
2. **Terms.**  Every word is matched as a word *beginning* (`t42_sisme*` in the FULLTEXT index,
   see migration 0005): shoppers type stems and Turkish adds suffixes ("sandalye" must find
   "sandalyesi").  A word ending in k/p/t also tries its softened stem (tüfek → tüfeği,
   yatak → yatağı, dolap → dolabı) when the vocabulary knows it.  A word that begins no known
   word is a typo: its nearest known beginnings are added (catalog.vocabulary), the word itself
   stays (so a product added a moment ago is still found) and `did_you_mean` tells the shopper.
   All words are required.
3. **Plan.**  InnoDB evaluates every word of a MATCH over all of its postings, so a broad word
   ("kamp": a third of an outdoor shop) costs ~8 µs per matching product whatever the page size.
   With the vocabulary's document frequencies the planner
   - puts only the narrowest word(s) into MATCH and checks the broad ones with a LIKE on the
     already-fetched row (`' ' + search_text LIKE '% kamp%'`, the same word-prefix semantics);
   - for a sort other than relevance, when even the narrowest word is broad, skips MATCH and
     walks the sort's index with the LIKE filters: with df matches spread over N products,
     a page of `limit` needs ~limit·N/df rows, cheaper than df postings once df² > limit·N·4.
   When every match is needed - a page sorted by another sort than relevance that does not walk,
   a walk's fall-back, the facet counts - the words are read off `product_search_words`
   (migration 0024, listing_repository): the narrowest group's range of its primary key, the
   other groups probed, ~0.3 µs a row where MATCH costs ~8 µs a posting; the row carries the
   filter, facet and price / newest sort columns.
   Relevance uses MATCH: InnoDB's score (TF-IDF) for the MATCH words, scaled to an integer,
   plus a large boost when the product name starts with the query - unless even the narrowest
   word is in RANKED_WALK_MIN_DF products or more (whatever the other filters and the page
   size): then the matches come best-selling first, walked with a budget and else read off
   product_search_words (issue 16).  Scoring costs ~8 µs a posting of the narrowest word however
   few of them pass the other filters ("silah" under Giyim: 145 ms at 100,000 products); the
   walk and its fall-back cost at most the budget and ~0.3 µs a row.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform.text import fold

from .vocabulary import Vocabulary

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
CHEAP_DF = 300  # a word matching at most this many products is cheap enough to MATCH as well
WALK_FACTOR = 4  # scan-walk only when clearly cheaper than the FULLTEXT postings
# Relevance over a broad query: ranking every match costs ~8 µs a posting (10,000 matches: 80 ms),
# a budgeted walk down the best-selling index ~6 µs a candidate (at most ~7 ms) and its fall-back
# ~0.3 µs a word row.  From this many postings the matches are ranked by sales instead
# (catalog.browse) - every one of them holds every word, and among a thousand such products the
# popular ones are what a shopper looks for first.
RANKED_WALK_MIN_DF = 1_000  # below, scoring every match stays under ~8 ms: always true relevance
NAME_PREFIX_BOOST = 100_000  # MATCH scores are ~0.1-20, scaled by 1000
_SOFTENING = {"k": "g", "p": "b", "t": "d"}


def terms(query: str) -> list[str]:
    """The folded, distinct words of a query (at most MAX_TERMS, each cut to MAX_TERM_LENGTH)."""
    seen: list[str] = []
    for word in fold(query).split():
        word = word[:MAX_TERM_LENGTH]
        if word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def search_text(name: str, brand: str | None, category_names: list[str]) -> str:
    """What products.search_text must hold for search to find a product (catalog_admin.naming
    and the seed build it this way): the folded name, brand and category path."""
    return fold(" ".join([name, brand or "", *category_names]))


@dataclass(frozen=True)
class TermGroup:
    term: str  # as typed, folded
    prefixes: tuple[str, ...]  # word beginnings that satisfy it (the term first)
    correction: str | None  # best known beginning when the term itself is unknown
    df: int  # at most this many products match (from the vocabulary)


@dataclass(frozen=True)
class TextQuery:
    groups: tuple[TermGroup, ...]

    @property
    def folded(self) -> str:
        return " ".join(g.term for g in self.groups)

    def share(self, catalogue_size: int) -> float:
        """The part of the shop expected to hold every word: the words' shares multiplied, as if
        they fell independently.  Two broad words rarely name one product ("yelek tüfeği": a vest
        and a rifle, each in thousands of products, together in almost none); taking the
        narrowest word's share for the pair made a walk down a sort index read the whole shop
        looking for a page that is not there (750 ms at 100,000 products).  Words that do go
        together ("uyku tulumu") are underestimated instead, which only sends them to MATCH,
        whose cost is bounded by the narrowest word's postings."""
        size = max(catalogue_size, 1)
        result = 1.0
        for group in self.groups:
            result *= min(group.df / size, 1.0)
        return result

    def most(self, catalogue_size: int) -> float:
        """The most of the shop that can hold every word: the narrowest word's share (words that
        always go together reach it, where `share` assumes them independent)."""
        size = max(catalogue_size, 1)
        return min((min(group.df / size, 1.0) for group in self.groups), default=1.0)

    @property
    def did_you_mean(self) -> str | None:
        if not any(g.correction for g in self.groups):
            return None
        return " ".join(g.correction or g.term for g in self.groups)


def analyse(query: str, vocabulary: Vocabulary | None) -> TextQuery:
    return TextQuery(tuple(_group(term, vocabulary) for term in terms(query)))


def _group(term: str, vocabulary: Vocabulary | None) -> TermGroup:
    if vocabulary is None:
        return TermGroup(term, (term,), None, 0)
    prefixes = [term]
    correction = None
    if vocabulary.has_prefix(term):
        softened = _softened(term)
        if softened and vocabulary.has_prefix(softened):
            prefixes.append(softened)
    else:
        fixes = vocabulary.corrections(term)
        prefixes += fixes
        correction = fixes[0] if fixes else None
    df = sum(vocabulary.prefix_df(p) for p in prefixes)
    return TermGroup(term, tuple(prefixes), correction, df)


def _softened(term: str) -> str | None:
    if len(term) >= 4 and term[-1] in _SOFTENING:
        return term[:-1] + _SOFTENING[term[-1]]
    return None


@dataclass(frozen=True)
class TextPlan:
    """How SQL matches a TextQuery: `against` (boolean-mode MATCH over search_terms, None when
    the planner walks an index instead) and LIKE groups checked on each candidate row."""

    against: str | None
    like_groups: tuple[tuple[str, ...], ...]
    phrase: str  # the folded query, for the name-prefix boost
    # Every group's word beginnings, the narrowest group first: what a read of
    # product_search_words (migration 0024) is driven by and probes (listing_repository).
    groups: tuple[tuple[str, ...], ...] = ()
    narrowest_df: int = 0  # at most this many products hold a word of groups[0] (the vocabulary's count)
    dfs: tuple[int, ...] = ()  # the same bound for each of `groups`, in their order

    @property
    def ranks(self) -> bool:
        return self.against is not None


def plan(query: TextQuery, tenant_id: int, *, catalogue_size: int, limit: int | None,
         ranked: bool, share: float = 1.0) -> TextPlan | None:
    """`limit` None: every match is needed (facet counts).  `ranked`: sorted by relevance.
    `share`: the part of the shop the other filters keep (category, brand, price, stock): a walk
    finds its page among narrowest x share products, MATCH reads all narrowest postings."""
    if not query.groups:
        return None
    narrowest = min(g.df for g in query.groups)
    ordered = sorted(query.groups, key=lambda g: g.df)
    by_df, dfs = tuple(g.prefixes for g in ordered), tuple(g.df for g in ordered)
    found = query.share(catalogue_size) * max(catalogue_size, 1) * max(min(share, 1.0), 0.0)  # a walk stops at these
    if ranked:
        # By the words alone: a query's order must not change with `limit` (pages of 2 and a
        # page of 100 would disagree) nor with the other filters.
        walk = limit is not None and narrowest >= RANKED_WALK_MIN_DF
    else:
        walk = limit is not None and found * narrowest >= WALK_FACTOR * limit * max(catalogue_size, 1)
    if walk:
        return TextPlan(None, tuple(g.prefixes for g in query.groups), query.folded, by_df, narrowest, dfs)
    cheap = max(narrowest, CHEAP_DF)
    matched = [g for g in query.groups if g.df <= cheap]
    rest = [g for g in query.groups if g.df > cheap]
    return TextPlan(boolean_query(matched, tenant_id), tuple(g.prefixes for g in rest), query.folded, by_df,
                    narrowest, dfs)


def boolean_query(groups: list[TermGroup], tenant_id: int) -> str:
    """'+(t42_sisme*) +(t42_yatak* t42_yatag*)': every group required, any of its beginnings.
    Words are [a-z0-9] only after folding, so nothing in them is a boolean-mode operator."""
    return " ".join("+(" + " ".join(f"t{tenant_id}_{p}*" for p in g.prefixes) + ")" for g in groups)
