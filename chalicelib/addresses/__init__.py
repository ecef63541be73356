"""Addresses (A1–A4, issue 3 items 7 and 8): delivery and billing addresses of the signed-in
user, Turkish-style (il / ilçe / mahalle, posta kodu, VKN / TCKN), geocoded through
`chalicelib.adapters.maps`.

Decisions worth knowing:
- Phone, tax number (VKN) and TCKN are stored sealed (platform.crypto, AES-256-GCM) and shown
  to the owner masked only (+90 532 *** ** 67, *******920): the owner knows them, the app
  re-sends a value only to change it, and order / invoice code reads the full values through
  this area's service.  The `phone` column holds the masked form, so lists need no decryption.
- A geocoder failure never refuses an address: it is saved without coordinates and marked
  pending / failed for a retry job (not written yet; see service.py).
"""
