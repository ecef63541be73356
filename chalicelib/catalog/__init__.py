"""Catalogue (P1, P2, P3, P6, P8, P12 so far): public product listing and detail.
Search, facets, reviews, favourites and admin management extend this area (issue 4)."""
