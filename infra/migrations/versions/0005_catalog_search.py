"""Catalogue search and browse (issue 4 items 2 and 3): a tenant-qualified FULLTEXT index,
facet columns and the indexes the public listing sorts and counts with.

- `search_terms` (stored generated column) is `search_text` with every word prefixed by the
  tenant: "t42_sisme t42_yatak ...".  FULLTEXT `ft_terms` indexes it, and searches ask for
  `+t42_sisme*`.  Why not MATCH(search_text) directly:
    * a FULLTEXT index cannot start with tenant_id, so on the plain column every search reads
      the posting lists of every tenant's products and throws most rows away; with the prefix a
      search only ever reads its own tenant's postings (and can never match another tenant's);
    * InnoDB skips words shorter than innodb_ft_min_token_size (3) and stopwords ("de", "en",
      "the" ...), so "av" (hunting!), "12" (calibre) or "1 L" could not be found at all;
      "t42_av" is long enough and no stopword.  Two-letter queries work without a server setting
      (RDS parameter groups differ, MariaDB needs a restart to change it).
  It is generated, so every writer that keeps `search_text` (catalog_admin.naming, the seed)
  keeps it in step for free; a row without search_text falls back to its name.
  Folded text never contains "_", so a prefix can't collide with a word.
- `facet_band`, the price band (0: <500, 1: 500-1000, 2: 1000-2500, 3: 2500-5000, 4: 5000-15000, 5: 15000+ TRY,
  the fixed facet bands of catalog.facets.PRICE_BANDS; not named price_* since it is no amount)
  and `in_stock` (total_stock > 0), stored, so facet counts group by plain index columns: MariaDB
  evaluating CASE/SUM expressions per row cost 20-30 ms on 10,000 products, the covering index
  ix_facets ~5-9 ms.
- ix_facets also carries base_price, so a price range is counted from the index too.
- ix_category_<sort>: a category page sorted by price (or newest, best-selling, rating) reads
  the category's index range and sorts only its own rows; brand, price and stock ride along so
  those filters are checked in the index too.  Walking the whole shop's sort index
  instead (what MariaDB picks by itself) is fast while matches are spread evenly, but prices,
  sales and ratings cluster by category: "Optik, cheapest first" walked 9,000 cheaper products
  first (18-26 ms); from its own range it takes 0.6 ms.  The listing names the index when it
  filters by category (catalog.listing_repository).
- ix_status_rating backs sort=rating for the whole shop; ix_updated lets the search vocabulary
  pick up products changed since its last build.

MySQL 8 and MariaDB both accept a FULLTEXT index on a STORED generated column (not on a VIRTUAL
one) and stored columns over base columns whose foreign keys do not cascade (tenant_id's
does not).

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE products
             ADD COLUMN search_terms MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
               AS (CONCAT('t', tenant_id, '_',
                          REPLACE(COALESCE(search_text, name), ' ', CONCAT(' t', tenant_id, '_')))) STORED
               COMMENT 'search_text with each word prefixed t<tenant>_ - what ft_terms indexes',
             ADD COLUMN facet_band TINYINT UNSIGNED
               AS (CASE WHEN base_price < 500 THEN 0 WHEN base_price < 1000 THEN 1
                        WHEN base_price < 2500 THEN 2 WHEN base_price < 5000 THEN 3
                        WHEN base_price < 15000 THEN 4 ELSE 5 END) STORED
               COMMENT 'price band for facets - 0 below 500, 1 to 1000, 2 to 2500, 3 to 5000, 4 to 15000, 5 above (TRY)',
             ADD COLUMN in_stock TINYINT(1) AS (total_stock > 0) STORED COMMENT 'total_stock above 0',
             ADD KEY ix_facets (tenant_id, status, category_id, brand_id, facet_band, in_stock, base_price),
             ADD KEY ix_category_created (tenant_id, status, category_id, created_at, brand_id, base_price, in_stock),
             ADD KEY ix_category_price (tenant_id, status, category_id, base_price, brand_id, in_stock),
             ADD KEY ix_category_sold (tenant_id, status, category_id, sold_count, brand_id, base_price, in_stock),
             ADD KEY ix_category_rating (tenant_id, status, category_id, rating_avg, rating_count, brand_id,
                                         base_price, in_stock),
             ADD KEY ix_status_rating (tenant_id, status, rating_avg, rating_count),
             ADD KEY ix_updated (tenant_id, updated_at)"""
    )
    # Its own statement: InnoDB builds one FULLTEXT index per ALTER.  Global by necessity (a
    # FULLTEXT index cannot lead with tenant_id); the tenant lives inside every indexed word.
    op.execute("ALTER TABLE products ADD FULLTEXT KEY ft_terms (search_terms) "
               "COMMENT 'FULLTEXT cannot lead with tenant_id - each word carries it instead'")


def downgrade() -> None:
    op.execute("ALTER TABLE products DROP KEY ft_terms")
    op.execute(
        """ALTER TABLE products
             DROP KEY ix_updated,
             DROP KEY ix_status_rating,
             DROP KEY ix_category_rating,
             DROP KEY ix_category_sold,
             DROP KEY ix_category_price,
             DROP KEY ix_category_created,
             DROP KEY ix_facets,
             DROP COLUMN in_stock,
             DROP COLUMN facet_band,
             DROP COLUMN search_terms"""
    )
