"""The 81 provinces (il) of Türkiye with their licence-plate codes.

The plate code is also the first two digits of every postcode in the province (PTT's scheme:
İstanbul 34xxx, Ankara 06xxx), which is what lets us catch a postcode typed for the wrong il.
Names are matched Turkish-aware and case-insensitively ("İSTANBUL", "istanbul", "Istanbul" and
"ıstanbul" all find İstanbul) through `platform.text.fold`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from chalicelib.platform.text import fold


@dataclass(frozen=True)
class Province:
    plate: int
    name: str

    @property
    def postcode_prefix(self) -> str:
        return f"{self.plate:02d}"


PROVINCES: tuple[Province, ...] = tuple(
    Province(plate, name)
    for plate, name in (
        (1, "Adana"), (2, "Adıyaman"), (3, "Afyonkarahisar"), (4, "Ağrı"), (5, "Amasya"), (6, "Ankara"),
        (7, "Antalya"), (8, "Artvin"), (9, "Aydın"), (10, "Balıkesir"), (11, "Bilecik"), (12, "Bingöl"),
        (13, "Bitlis"), (14, "Bolu"), (15, "Burdur"), (16, "Bursa"), (17, "Çanakkale"), (18, "Çankırı"),
        (19, "Çorum"), (20, "Denizli"), (21, "Diyarbakır"), (22, "Edirne"), (23, "Elazığ"), (24, "Erzincan"),
        (25, "Erzurum"), (26, "Eskişehir"), (27, "Gaziantep"), (28, "Giresun"), (29, "Gümüşhane"), (30, "Hakkari"),
        (31, "Hatay"), (32, "Isparta"), (33, "Mersin"), (34, "İstanbul"), (35, "İzmir"), (36, "Kars"),
        (37, "Kastamonu"), (38, "Kayseri"), (39, "Kırklareli"), (40, "Kırşehir"), (41, "Kocaeli"), (42, "Konya"),
        (43, "Kütahya"), (44, "Malatya"), (45, "Manisa"), (46, "Kahramanmaraş"), (47, "Mardin"), (48, "Muğla"),
        (49, "Muş"), (50, "Nevşehir"), (51, "Niğde"), (52, "Ordu"), (53, "Rize"), (54, "Sakarya"),
        (55, "Samsun"), (56, "Siirt"), (57, "Sinop"), (58, "Sivas"), (59, "Tekirdağ"), (60, "Tokat"),
        (61, "Trabzon"), (62, "Tunceli"), (63, "Şanlıurfa"), (64, "Uşak"), (65, "Van"), (66, "Yozgat"),
        (67, "Zonguldak"), (68, "Aksaray"), (69, "Bayburt"), (70, "Karaman"), (71, "Kırıkkale"), (72, "Batman"),
        (73, "Şırnak"), (74, "Bartın"), (75, "Ardahan"), (76, "Iğdır"), (77, "Yalova"), (78, "Karabük"),
        (79, "Kilis"), (80, "Osmaniye"), (81, "Düzce"),
    )
)

# Names people still write for a province (old or short names) → plate code.
ALIASES: dict[str, int] = {
    "afyon": 3,
    "icel": 33,
    "maras": 46,
    "k maras": 46,
    "antep": 27,
    "urfa": 63,
    "adapazari": 54,
    "izmit": 41,
}


@lru_cache(maxsize=1)
def _by_folded_name() -> dict[str, Province]:
    by_name = {fold(p.name): p for p in PROVINCES}
    by_plate = {p.plate: p for p in PROVINCES}
    assert len(by_name) == 81, "two province names fold to the same text"
    for alias, plate in ALIASES.items():
        by_name.setdefault(alias, by_plate[plate])
    return by_name


def find_province(name: str) -> Province | None:
    """The province called `name` (Turkish-aware, case- and accent-insensitive), or None."""
    return _by_folded_name().get(fold(name))
