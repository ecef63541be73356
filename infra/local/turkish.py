"""Turkish vocabulary for the local catalogue seed (infra/local/seed_catalog.py).

The text helpers themselves (fold, slugify, EAN-13) live in `chalicelib.platform.text`, where
the application uses them too; they are re-exported here for local scripts.

Everything below is plain data: a category tree, brands, product types with Turkish names,
price ranges in TRY, VAT rates, option kinds, attributes and description sentences.  Product
names are built as  "<brand> <series> [<edition>] <type name>", e.g.
"Huğlu Kartal Pro Yarı Otomatik Av Tüfeği", which gives tens of thousands of distinct names.
"""
from __future__ import annotations

from typing import NamedTuple

from chalicelib.platform.text import ean13_check_digit, fold, is_valid_ean13, slugify

__all__ = [
    "fold", "slugify", "ean13_check_digit", "is_valid_ean13",
    "CATEGORY_TREE", "BRANDS", "PRODUCT_TYPES", "SERIES", "EDITIONS", "COLOURS",
    "IMAGE_VIEWS", "CLOSING_SENTENCES", "Brand", "ProductType",
]

# (name, description, children).  Products hang from leaves only.
CATEGORY_TREE: tuple = (
    ("Av", "Av tüfekleri, av ekipmanları ve optik ürünler.", (
        ("Av Tüfekleri", "Yerli üretim av tüfekleri.", (
            ("Yarı Otomatik", "Gaz pistonlu ve inersiyal yarı otomatik tüfekler.", ()),
            ("Süperpoze", "Üst üste çift namlulu tüfekler.", ()),
            ("Yandan Çiftli", "Geleneksel yan yana çift namlulu tüfekler.", ()),
            ("Pompalı", "Dayanıklı pompalı av tüfekleri.", ()),
            ("Tek Kırma", "Hafif ve sade tek namlulu tüfekler.", ()),
            ("Atış Tüfekleri", "Trap, skeet ve sporting atışları için.", ()),
        )),
        ("Av Ekipmanları", "Avda işinizi kolaylaştıran ekipmanlar.", (
            ("Kuş Çağırıcılar", "Ördek, keklik ve bıldırcın çağırıcıları.", ()),
            ("Kulak Koruyucular", "Atış kulaklıkları ve kulak tıkaçları.", ()),
        )),
        ("Optik", "Dürbün ve nişangahlar.", (
            ("Dürbün", "Av ve doğa gözlemi için dürbünler.", ()),
            ("Nişangah", "Red dot ve holografik nişangahlar.", ()),
        )),
    )),
    ("Kamp", "Çadır, uyku, mutfak ve kamp mobilyası.", (
        ("Çadırlar", "Her mevsim için kamp çadırları.", (
            ("Kamp Çadırları", "2 ila 6 kişilik kamp çadırları.", ()),
            ("Gölgelik ve Tente", "Güneşten ve yağmurdan koruyan gölgelikler.", ()),
        )),
        ("Uyku", "Uyku tulumları, şişme yataklar ve matlar.", (
            ("Uyku Tulumu", "Dört mevsim uyku tulumları.", ()),
            ("Şişme Yatak", "Tek ve çift kişilik şişme yataklar.", ()),
            ("Kamp Matı", "Köpük ve alüminyum kamp matları.", ()),
        )),
        ("Kamp Mobilyası", "Katlanır sandalye, masa ve hamaklar.", (
            ("Kamp Sandalyeleri", "Katlanır ve hafif kamp sandalyeleri.", ()),
            ("Kamp Masaları", "Katlanır kamp masaları.", ()),
            ("Hamaklar", "Paraşüt kumaşı hamaklar.", ()),
        )),
        ("Kamp Mutfağı", "Termos, ocak, pişirme setleri ve mataralar.", (
            ("Termoslar", "Çelik termoslar ve termos bardaklar.", ()),
            ("Kamp Ocakları", "Gazlı kamp ocakları.", ()),
            ("Pişirme Setleri", "Tencere, tava ve çaydanlık setleri.", ()),
            ("Mataralar", "Alüminyum ve çelik mataralar.", ()),
        )),
        ("Aydınlatma", "Kafa lambaları ve kamp fenerleri.", (
            ("Kafa Lambaları", "Şarjlı ve pilli kafa lambaları.", ()),
            ("Kamp Fenerleri", "LED kamp fenerleri.", ()),
        )),
        ("Çantalar", "Sırt ve bel çantaları.", (
            ("Sırt Çantaları", "Günübirlik ve uzun rota sırt çantaları.", ()),
            ("Bel Çantaları", "Hafif bel çantaları.", ()),
        )),
    )),
    ("Giyim", "Av ve outdoor giyim.", (
        ("Mont", "Av montları, softshell montlar ve yağmurluklar.", ()),
        ("Yelek", "Av yelekleri ve polar yelekler.", ()),
        ("Pantolon", "Av ve outdoor pantolonları.", ()),
        ("Üst Giyim", "Polar, gömlek, tişört ve termal içlik.", ()),
        ("Şapka ve Bere", "Kamuflaj şapkalar ve polar bereler.", ()),
        ("Eldiven", "Av ve outdoor eldivenleri.", ()),
    )),
    ("Ayakkabı", "Botlar, çizmeler ve yürüyüş ayakkabıları.", (
        ("Bot", "Av ve trekking botları.", (
            ("Av Botu", "Su geçirmez av botları.", ()),
            ("Trekking Botu", "Bilek destekli trekking botları.", ()),
        )),
        ("Çizme", "Lastik ve su geçirmez çizmeler.", ()),
        ("Yürüyüş Ayakkabısı", "Hafif doğa yürüyüşü ayakkabıları.", ()),
    )),
    ("Aksesuar", "Fişeklik, kılıf, bıçak ve bakım ürünleri.", (
        ("Fişeklik", "Deri ve kordura fişeklikler.", ()),
        ("Tüfek Kılıfı", "Yumuşak ve sert tüfek kılıfları.", ()),
        ("Bıçak ve Çakı", "Av bıçakları ve çok amaçlı çakılar.", ()),
        ("Tüfek Bakım", "Temizlik setleri ve bakım yağları.", (
            ("Temizlik Seti", "Kalibreye uygun temizlik setleri.", ()),
            ("Silah Yağı", "Koruyucu ve temizleyici silah yağları.", ()),
        )),
    )),
)


class Brand(NamedTuple):
    key: str
    name: str
    code: str  # SKU prefix
    origin: str
    description: str


BRANDS: tuple[Brand, ...] = (
    Brand("huglu", "Huğlu", "HGL", "Türkiye",
          "Konya Huğlu'dan av tüfeği, kamp ve outdoor giyim üreticisi."),
    Brand("kuzgun", "Kuzgun Arms", "KZG", "Türkiye", "Atış sporları için tüfek ve ekipman."),
    Brand("bozdag", "Bozdağ Av", "BZD", "Türkiye", "Ege'nin av ustalarından tüfek ve aksesuar."),
    Brand("kackar", "Kaçkar Outdoor", "KCK", "Türkiye", "Karadeniz yaylalarına göre giyim."),
    Brand("yayla", "Yayla Kamp", "YYL", "Türkiye", "Aileler için kamp ekipmanı."),
    Brand("toros", "Toros Gear", "TRS", "Türkiye", "Dağcılık ve trekking ekipmanı."),
    Brand("ilgaz", "Ilgaz Giyim", "ILG", "Türkiye", "Soğuk iklim için teknik giyim."),
    Brand("erciyes", "Erciyes Bot", "ERC", "Türkiye", "El işçiliğiyle bot ve çizme."),
    Brand("pusula", "Pusula Outdoor", "PSL", "Türkiye", "Optik, aydınlatma ve saha ekipmanı."),
    Brand("cinaralti", "Çınaraltı", "CNR", "Türkiye", "Kamp mobilyası ve kamp mutfağı."),
    Brand("sarikamis", "Sarıkamış Tekstil", "SRK", "Türkiye", "Kışlık outdoor giyim."),
)


class ProductType(NamedTuple):
    code: str
    name: str
    category: tuple[str, ...]  # path of category names from the root to a leaf
    price: tuple[int, int]  # TRY, VAT included
    vat: int
    options: str | None  # option kind, see seed_catalog._options_for
    brands: tuple[str, ...]
    blurb: str  # follows "<product name>, "
    features: tuple[str, ...]
    attributes: tuple[tuple[str, tuple], ...]
    weight_grams: tuple[int, int]


_GUN_ATTRS = (
    ("kundak", ("Ceviz", "Sentetik", "Kamuflaj Sentetik", "Seçme Ceviz")),
    ("sok_sistemi", ("5 adet değiştirilebilir şok", "3 adet değiştirilebilir şok", "Sabit şok")),
    ("mensei", ("Türkiye",)),
)
_SHOTGUN_BRANDS = ("huglu", "kuzgun", "bozdag")
_CAMP_BRANDS = ("huglu", "yayla", "toros", "cinaralti", "pusula")
_WEAR_BRANDS = ("huglu", "kackar", "ilgaz", "sarikamis")
_BOOT_BRANDS = ("huglu", "erciyes", "kackar", "sarikamis")
_GEAR_BRANDS = ("huglu", "kuzgun", "bozdag", "pusula")
_AV = ("Av", "Av Tüfekleri")


def _t(code, name, category, price, vat, options, brands, blurb, features, attributes=(),
       weight=(300, 1500)) -> ProductType:
    return ProductType(code, name, tuple(category), price, vat, options, tuple(brands), blurb,
                       tuple(features), tuple(attributes), weight)


PRODUCT_TYPES: tuple[ProductType, ...] = (
    # --- Av tüfekleri --------------------------------------------------------------------
    _t("YOT", "Yarı Otomatik Av Tüfeği", _AV + ("Yarı Otomatik",), (15000, 45000), 20, "shotgun",
       _SHOTGUN_BRANDS, "gaz pistonlu mekanizması sayesinde seri atışlarda bile düşük geri "
       "tepme sunar.",
       ("Krom kaplı namlu iç yüzeyi korozyona karşı uzun ömürlüdür.",
        "Ayarlanabilir dipçik her boydaki avcıya uyum sağlar.",
        "Havalandırmalı nişan bandı sıcak namlu üzerindeki ışık kırılmasını önler."),
       _GUN_ATTRS + (("kapasite", ("4+1", "2+1")),), (2900, 3600)),
    _t("SPZ", "Süperpoze Av Tüfeği", _AV + ("Süperpoze",), (25000, 90000), 20, "shotgun",
       _SHOTGUN_BRANDS, "üst üste namlu düzeni ve el işçiliği gravürüyle hem dengeli hem "
       "şıktır.",
       ("Tek tetik sistemi namlu seçimini kolaylaştırır.",
        "Otomatik ejektörler boş kovanları hızla dışarı atar.",
        "Usta ellerden çıkan gravür her tüfeği benzersiz kılar."),
       _GUN_ATTRS + (("gravur", ("Altın kakma", "Gümüş gravür", "Sade")),), (3000, 3500)),
    _t("YCF", "Yandan Çiftli Av Tüfeği", _AV + ("Yandan Çiftli",), (30000, 85000), 20, "shotgun",
       _SHOTGUN_BRANDS, "Huğlu köyünün yüzyıllık tüfek ustalığını geleneksel yandan çiftli "
       "formda yaşatır.",
       ("Çift tetik düzeni klasik avcıların tercihidir.",
        "İngiliz tipi düz kabza hızlı omuzlamaya olanak tanır.",
        "Yan plakalar el gravürüyle işlenmiştir."),
       _GUN_ATTRS, (2800, 3300)),
    _t("PMP", "Pompalı Av Tüfeği", _AV + ("Pompalı",), (15000, 30000), 20, "shotgun",
       _SHOTGUN_BRANDS, "her koşulda çalışan sağlam pompa mekanizmasıyla zorlu arazilerin "
       "tüfeğidir.",
       ("Çift ray kollu mekanizma takılmayı önler.",
        "Kauçuk dipçik botu geri tepmeyi yumuşatır.",
        "Sentetik kundak yağmurda ve çamurda bile kaymaz."),
       _GUN_ATTRS + (("kapasite", ("4+1", "7+1")),), (3000, 3500)),
    _t("TKR", "Tek Kırma Av Tüfeği", _AV + ("Tek Kırma",), (15000, 22000), 20, "shotgun",
       _SHOTGUN_BRANDS, "hafif gövdesiyle avcılığa yeni başlayanlar için ideal bir ilk "
       "tüfektir.",
       ("Katlanır gövde taşımayı ve saklamayı kolaylaştırır.",
        "Basit mekanizması bakımı kolaylaştırır.",
        "Emniyet mandalı tetik korkuluğuna entegredir."),
       _GUN_ATTRS, (2300, 2800)),
    _t("ATS", "Sporting Atış Tüfeği", _AV + ("Atış Tüfekleri",), (35000, 90000), 20, "shotgun",
       _SHOTGUN_BRANDS, "trap, skeet ve sporting parkurları için yarışma düzeyinde hassasiyet "
       "sunar.",
       ("Ayarlanabilir yanak desteği nişan hattını kişiselleştirir.",
        "Porting uygulanmış namlular namlu kalkışını azaltır.",
        "Ağırlık dengesi hızlı hedef geçişleri için ayarlanmıştır."),
       _GUN_ATTRS + (("yanak_destegi", ("Ayarlanabilir", "Sabit")),), (3300, 3900)),
    # --- Av ekipmanları ve optik ----------------------------------------------------------
    _t("KCG", "Kuş Çağırıcı", ("Av", "Av Ekipmanları", "Kuş Çağırıcılar"), (150, 650), 20, None,
       _GEAR_BRANDS, "doğal kuş seslerini gerçeğe çok yakın taklit eder.",
       ("Akrilik gövde nemden etkilenmez.", "Boyun askısıyla birlikte gelir."),
       (("tur", ("Ördek", "Keklik", "Bıldırcın", "Kaz")),), (40, 150)),
    _t("KKR", "Atış Kulaklığı", ("Av", "Av Ekipmanları", "Kulak Koruyucular"), (450, 4500), 20,
       "colour", _GEAR_BRANDS, "atış sesini keserken çevredeki konuşmaları duymanızı sağlar.",
       ("Elektronik ses filtresi 82 dB üzerindeki sesleri bastırır.",
        "Katlanır yapısı çantada yer kaplamaz."),
       (("snr_db", ("25", "28", "31")),), (250, 450)),
    _t("DRB", "Av Dürbünü", ("Av", "Optik", "Dürbün"), (1500, 8000), 20, None,
       ("huglu", "pusula", "toros"), "alacakaranlıkta bile net ve parlak görüntü verir.",
       ("Azot dolgulu gövde buğulanmaz.", "Çok katmanlı kaplama yansımayı azaltır."),
       (("buyutme", ("8x42", "10x42", "10x50", "12x50")),), (550, 950)),
    _t("NSG", "Red Dot Nişangah", ("Av", "Optik", "Nişangah"), (2000, 8000), 20, None,
       ("huglu", "kuzgun", "pusula"), "hızlı hedef alma gereken sürek avları için tasarlandı.",
       ("Parlaklık 11 kademede ayarlanır.", "Geri tepmeye dayanıklı alüminyum gövdelidir."),
       (("nokta_moa", ("2", "3", "6")),), (120, 300)),
    # --- Kamp ------------------------------------------------------------------------------
    _t("CDR", "Kamp Çadırı", ("Kamp", "Çadırlar", "Kamp Çadırları"), (1500, 8000), 20,
       "capacity", _CAMP_BRANDS, "rüzgârlı yaylalarda bile kolayca kurulan sağlam bir "
       "çadırdır.",
       ("Bantlanmış dikişler yağmur suyunu içeri almaz.", "Sineklikli çift kapısı vardır.",
        "Alüminyum çubuklar hafif ve esnektir."),
       (("su_gecirmezlik_mm", ("2000", "3000", "5000")), ("mevsim", ("3 mevsim", "4 mevsim"))),
       (2200, 6500)),
    _t("GLG", "Gölgelik Tente", ("Kamp", "Çadırlar", "Gölgelik ve Tente"), (900, 3500), 20,
       "colour", _CAMP_BRANDS, "piknikte ve sahilde serin bir gölge alanı oluşturur.",
       ("UPF 50+ kumaş güneş ışınlarını keser.", "Dört köşeden gerdirme ipleriyle gelir."),
       (("olcu", ("3x3 m", "3x4 m", "4x4 m")),), (1500, 4000)),
    _t("UTL", "Uyku Tulumu", ("Kamp", "Uyku", "Uyku Tulumu"), (700, 4500), 20, "colour",
       _CAMP_BRANDS, "soğuk dağ gecelerinde vücut ısınızı korur.",
       ("Çift yönlü fermuar havalandırma sağlar.", "Sıkıştırma torbasıyla küçücük katlanır.",
        "Mumya kesimi ısı kaybını en aza indirir."),
       (("konfor_sicakligi", ("+5°C", "0°C", "-5°C", "-10°C")),), (900, 2200)),
    _t("SYT", "Şişme Yatak", ("Kamp", "Uyku", "Şişme Yatak"), (400, 2500), 20, "bed",
       _CAMP_BRANDS, "dahili pompası sayesinde dakikalar içinde şişer.",
       ("Kadife yüzey kaymayı önler.", "Çift katmanlı PVC delinmelere karşı dayanıklıdır.",
        "Yastık bölümü ayrıca şişirilir."),
       (("pompa", ("Dahili elektrikli", "Ayak pompalı", "Kendinden şişme")),), (1500, 4500)),
    _t("MAT", "Kamp Matı", ("Kamp", "Uyku", "Kamp Matı"), (150, 900), 20, "colour",
       _CAMP_BRANDS, "yerden gelen soğuğu ve nemi keser.",
       ("Akordeon katlanır yapıdadır.", "Alüminyum yansıtıcı yüzey ısıyı geri verir."),
       (("kalinlik_mm", ("10", "15", "20")),), (300, 700)),
    _t("SND", "Kamp Sandalyesi", ("Kamp", "Kamp Mobilyası", "Kamp Sandalyeleri"), (350, 2500),
       20, "colour", _CAMP_BRANDS, "katlandığında çanta boyutuna inen rahat bir sandalyedir.",
       ("Bardaklıklı kolçakları vardır.", "120 kg taşıma kapasitesine sahiptir.",
        "Çelik iskeleti paslanmaz boyalıdır."),
       (("tasima_kapasitesi_kg", ("100", "120", "150")),), (1800, 4200)),
    _t("MSA", "Kamp Masası", ("Kamp", "Kamp Mobilyası", "Kamp Masaları"), (600, 3000), 20, None,
       _CAMP_BRANDS, "ayarlanabilir ayaklarıyla engebeli zeminde bile dengede durur.",
       ("Alüminyum tabla ısıya dayanıklıdır.", "Bavul gibi katlanıp taşınır."),
       (("olcu", ("70x50 cm", "90x60 cm", "120x60 cm")),), (2500, 6000)),
    _t("HMK", "Hamak", ("Kamp", "Kamp Mobilyası", "Hamaklar"), (400, 1500), 20, "colour",
       _CAMP_BRANDS, "iki ağaç arasında dakikalar içinde kurulan hafif bir dinlenme alanıdır.",
       ("Paraşüt kumaşı hızlı kurur.", "Ağaç kayışları ve karabinalarla birlikte gelir."),
       (("tasima_kapasitesi_kg", ("150", "200")),), (400, 900)),
    _t("TRM", "Termos", ("Kamp", "Kamp Mutfağı", "Termoslar"), (350, 1800), 20, "volume",
       _CAMP_BRANDS, "çayınızı 24 saat sıcak, suyunuzu 48 saat soğuk tutar.",
       ("Çift cidarlı vakum yalıtımlıdır.", "Kapağı bardak olarak kullanılabilir.",
        "18/8 paslanmaz çelikten üretilmiştir."),
       (("malzeme", ("Paslanmaz çelik",)),), (350, 900)),
    _t("OCK", "Kamp Ocağı", ("Kamp", "Kamp Mutfağı", "Kamp Ocakları"), (400, 2500), 20, None,
       _CAMP_BRANDS, "rüzgâr siperliği sayesinde açık havada bile kararlı bir alev verir.",
       ("Piezo ateşleme ile kibrit gerektirmez.", "Kartuş bağlantısı güvenlik kilitlidir."),
       (("guc_w", ("2000", "2600", "3000")),), (300, 1800)),
    _t("PSR", "Pişirme Seti", ("Kamp", "Kamp Mutfağı", "Pişirme Setleri"), (500, 2500), 20, None,
       _CAMP_BRANDS, "tencere, tava ve çaydanlığı tek bir pakette iç içe toplar.",
       ("Sert anodize alüminyum ısıyı eşit dağıtır.", "Katlanır saplar yer kazandırır."),
       (("parca_sayisi", ("5", "7", "9")),), (600, 1500)),
    _t("MTR", "Matara", ("Kamp", "Kamp Mutfağı", "Mataralar"), (150, 700), 20, "volume",
       _CAMP_BRANDS, "sızdırmaz kapağıyla çantanızda güvenle taşınır.",
       ("BPA içermez.", "Karabina halkası vardır."), (("malzeme", ("Alüminyum", "Çelik")),),
       (150, 400)),
    _t("KFL", "Kafa Lambası", ("Kamp", "Aydınlatma", "Kafa Lambaları"), (250, 1500), 20, None,
       _CAMP_BRANDS + ("kuzgun",), "gece avında ve kamp işlerinde elleriniz serbest kalır.",
       ("Kırmızı ışık modu gece görüşünü korur.", "USB-C ile şarj edilir."),
       (("lumen", ("300", "500", "800", "1200")),), (80, 200)),
    _t("FNR", "Kamp Feneri", ("Kamp", "Aydınlatma", "Kamp Fenerleri"), (300, 1800), 20, None,
       _CAMP_BRANDS, "tüm kamp alanını sıcak bir ışıkla aydınlatır.",
       ("Powerbank özelliğiyle telefon şarj eder.", "IPX4 suya dayanıklıdır."),
       (("lumen", ("400", "750", "1000")),), (250, 800)),
    _t("SRT", "Sırt Çantası", ("Kamp", "Çantalar", "Sırt Çantaları"), (800, 6000), 20, "colour",
       _CAMP_BRANDS + ("kackar",), "ayarlanabilir sırt sistemiyle uzun rotalarda yükü "
       "dengeler.",
       ("Yağmur kılıfı dahildir.", "Su torbası bölmesi vardır.",
        "Bel kemeri yükü kalçaya aktarır."),
       (("hacim_l", ("30", "45", "55", "65")),), (900, 2200)),
    _t("BEL", "Bel Çantası", ("Kamp", "Çantalar", "Bel Çantaları"), (200, 900), 20, "colour",
       _CAMP_BRANDS + ("kackar",), "günlük yürüyüşlerde telefon ve cüzdanınızı el altında "
       "tutar.",
       ("Su itici kumaştan üretilmiştir.", "Gizli fermuarlı cebi vardır."),
       (("hacim_l", ("2", "3", "5")),), (150, 400)),
    # --- Giyim (KDV yüzde 10) --------------------------------------------------------------
    _t("AVM", "Av Montu", ("Giyim", "Mont"), (2000, 8000), 10, "apparel", _WEAR_BRANDS,
       "sessiz kumaşıyla avı ürkütmeden sizi sıcak ve kuru tutar.",
       ("Nefes alan su geçirmez membranlıdır.", "Fişek cepleri ve av torbası vardır.",
        "Kapüşonu çıkarılabilir."),
       (("kumas", ("Polyester", "Kamuflaj Tafta", "Yün karışımı")),), (900, 1600)),
    _t("SSM", "Softshell Mont", ("Giyim", "Mont"), (1500, 5000), 10, "apparel", _WEAR_BRANDS,
       "rüzgârı keserken hareket özgürlüğü sağlar.",
       ("Polar astarı serin günlerde ısıtır.", "Su itici yüzey hafif yağmuru geçirmez."),
       (("kumas", ("Softshell",)),), (500, 900)),
    _t("YGM", "Yağmurluk", ("Giyim", "Mont"), (700, 2500), 10, "apparel", _WEAR_BRANDS,
       "ani sağanaklarda sizi kuru tutar ve kendi cebine katlanır.",
       ("Bantlanmış dikişlidir.", "Koltuk altı havalandırma fermuarları vardır."),
       (("su_gecirmezlik_mm", ("5000", "10000")),), (250, 500)),
    _t("AVY", "Av Yeleği", ("Giyim", "Yelek"), (600, 2500), 10, "apparel", _WEAR_BRANDS,
       "çok sayıda fişek ve ekipman cebiyle avda her şeyi üzerinizde taşır.",
       ("Turuncu güvenlik şeridi görünürlük sağlar.", "Arka av cebi su geçirmezdir."),
       (("kumas", ("Kordura", "Pamuk", "Polyester")),), (400, 800)),
    _t("PLY", "Polar Yelek", ("Giyim", "Yelek"), (500, 1500), 10, "apparel", _WEAR_BRANDS,
       "hafif polar kumaşıyla katmanlı giyimin vazgeçilmezidir.",
       ("Anti-pilling polar tüylenmez.", "Fermuarlı yan cepleri vardır."),
       (("kumas", ("Polar",)),), (250, 450)),
    _t("AVP", "Av Pantolonu", ("Giyim", "Pantolon"), (900, 3500), 10, "apparel", _WEAR_BRANDS,
       "dikenli çalılara karşı güçlendirilmiş paçalarıyla uzun ömürlüdür.",
       ("Diz bölgesi çift kat kumaştır.", "Yan körüklü cepleri vardır."),
       (("kumas", ("Kordura takviyeli", "Pamuk kanvas")),), (500, 900)),
    _t("ODP", "Outdoor Pantolon", ("Giyim", "Pantolon"), (700, 2500), 10, "apparel",
       _WEAR_BRANDS, "esnek kumaşıyla tırmanışta ve yürüyüşte rahat hareket ettirir.",
       ("Paçaları fermuarla şorta dönüşür.", "Hızlı kuruyan kumaştandır."),
       (("kumas", ("Streç naylon", "Ripstop")),), (300, 600)),
    _t("PLR", "Polar Sweatshirt", ("Giyim", "Üst Giyim"), (500, 1500), 10, "apparel",
       _WEAR_BRANDS, "serin kamp akşamlarında sıcak tutan yumuşak bir üst katmandır.",
       ("Yarım fermuarlı yakası vardır.", "Başparmak delikli manşetlidir."),
       (("kumas", ("Polar",)),), (300, 550)),
    _t("OGM", "Oduncu Gömleği", ("Giyim", "Üst Giyim"), (500, 1500), 10, "apparel",
       _WEAR_BRANDS, "kalın pamuklu flanel kumaşıyla hem şık hem dayanıklıdır.",
       ("Çıtçıtlı göğüs cepleri vardır.", "Yıkamada çekmez."),
       (("kumas", ("Flanel", "Pamuklu kanvas")),), (300, 500)),
    _t("TRL", "Termal İçlik", ("Giyim", "Üst Giyim"), (300, 1200), 10, "apparel", _WEAR_BRANDS,
       "teri dışarı atıp vücut ısısını içeride tutar.",
       ("Dikişsiz örgü sürtünmeyi önler.", "Merinos yünü koku tutmaz."),
       (("kumas", ("Merinos yünü", "Polipropilen")),), (150, 300)),
    _t("TSR", "Outdoor Tişört", ("Giyim", "Üst Giyim"), (200, 600), 10, "apparel", _WEAR_BRANDS,
       "hızlı kuruyan kumaşıyla sıcak yaz rotalarının tişörtüdür.",
       ("UV korumalıdır.", "Düz dikişleri sürtünmeyi azaltır."),
       (("kumas", ("Pamuk", "Polyester", "Bambu")),), (120, 250)),
    _t("SPK", "Kamuflaj Şapka", ("Giyim", "Şapka ve Bere"), (150, 600), 10, "colour",
       _WEAR_BRANDS, "güneşi keserken av sırasında sizi doğayla bütünleştirir.",
       ("Arkadan ayarlanabilir.", "Ter bandı nemi emer."), (("kumas", ("Pamuk", "Polyester")),),
       (80, 150)),
    _t("BRE", "Polar Bere", ("Giyim", "Şapka ve Bere"), (150, 500), 10, "colour", _WEAR_BRANDS,
       "ayazda başınızı ve kulaklarınızı sıcak tutar.",
       ("Çift kat polar kumaştandır.", "Tek beden herkese uyar."), (("kumas", ("Polar",)),),
       (60, 120)),
    _t("ELD", "Av Eldiveni", ("Giyim", "Eldiven"), (200, 900), 10, "gloves", _WEAR_BRANDS,
       "tetik parmağı açılabilen tasarımıyla hassas atış imkânı verir.",
       ("Avuç içi kaydırmaz dokuludur.", "Dokunmatik ekran uyumludur."),
       (("kumas", ("Neopren", "Deri", "Polar")),), (80, 180)),
    # --- Ayakkabı (KDV yüzde 10) -----------------------------------------------------------
    _t("AVB", "Av Botu", ("Ayakkabı", "Bot", "Av Botu"), (1800, 7000), 10, "boots",
       _BOOT_BRANDS, "su geçirmez deri gövdesiyle bataklıkta ve karda ayağınızı kuru tutar.",
       ("Vibram taban kaygan zeminde tutunur.", "Thinsulate yalıtım -20°C'ye kadar korur.",
        "Yılan sokmasına karşı yüksek koncludur."),
       (("yalitim", ("200 g Thinsulate", "400 g Thinsulate", "Yalıtımsız")),), (1400, 2200)),
    _t("TRB", "Trekking Botu", ("Ayakkabı", "Bot", "Trekking Botu"), (1500, 6000), 10, "boots",
       _BOOT_BRANDS, "bilek destekli yapısıyla taşlı patikalarda adımlarınızı sağlamlaştırır.",
       ("Nefes alan membranlıdır.", "Burun koruması taşlara karşı dayanıklıdır."),
       (("taban", ("Vibram", "Kauçuk")),), (1100, 1700)),
    _t("CZM", "Lastik Çizme", ("Ayakkabı", "Çizme"), (500, 2000), 10, "boots", _BOOT_BRANDS,
       "sulak alanlarda ve çamurlu arazide tam koruma sağlar.",
       ("Doğal kauçuktan üretilmiştir.", "Neopren astarı ayağı sıcak tutar."),
       (("yukseklik_cm", ("38", "42", "45")),), (1500, 2400)),
    _t("YRY", "Yürüyüş Ayakkabısı", ("Ayakkabı", "Yürüyüş Ayakkabısı"), (1200, 4500), 10, "boots",
       _BOOT_BRANDS, "hafif gövdesiyle uzun doğa yürüyüşlerinde ayağı yormaz.",
       ("Darbe emici ara taban dizleri korur.", "Hızlı bağcık sistemi vardır."),
       (("taban", ("Vibram", "Kauçuk", "EVA")),), (700, 1100)),
    # --- Aksesuar --------------------------------------------------------------------------
    _t("FSK", "Deri Fişeklik", ("Aksesuar", "Fişeklik"), (250, 1500), 20, "colour", _GEAR_BRANDS,
       "fişekleri sessizce ve düzenli taşımanızı sağlar.",
       ("Bitkisel tabaklanmış hakiki deridir.", "Bele ayarlanabilir tokası vardır."),
       (("fisek_kapasitesi", ("25", "30", "50")),), (300, 700)),
    _t("KLF", "Tüfek Kılıfı", ("Aksesuar", "Tüfek Kılıfı"), (600, 4000), 20, "colour",
       _GEAR_BRANDS, "tüfeğinizi taşırken darbe ve nemden korur.",
       ("Yumuşak polar astarlıdır.", "Kilitlenebilir fermuarı vardır."),
       (("uzunluk_cm", ("120", "128", "132")),), (800, 2500)),
    _t("BCK", "Av Bıçağı", ("Aksesuar", "Bıçak ve Çakı"), (400, 3500), 20, None, _GEAR_BRANDS,
       "sabit bıçağı ve ergonomik sapıyla avda ve kampta güvenle kullanılır.",
       ("Deri kınıyla birlikte gelir.", "Bıçak çeliği uzun süre keskin kalır."),
       (("celik", ("N690", "440C", "D2")), ("sap", ("Ceviz", "Boynuz", "G10"))), (150, 350)),
    _t("CKI", "Çok Amaçlı Çakı", ("Aksesuar", "Bıçak ve Çakı"), (250, 1800), 20, None,
       _GEAR_BRANDS + ("toros",), "cebinizde taşıyabileceğiniz küçük bir alet çantasıdır.",
       ("Kilitli bıçak mekanizması vardır.", "Testere ve açacak içerir."),
       (("fonksiyon_sayisi", ("7", "12", "15")),), (80, 200)),
    _t("TMZ", "Tüfek Temizlik Seti", ("Aksesuar", "Tüfek Bakım", "Temizlik Seti"), (300, 1200),
       20, "gauge", _GEAR_BRANDS, "namlu ve mekanizmayı atış sonrası eksiksiz temizler.",
       ("Pirinç fırçalar namluyu çizmez.", "Taşıma kutusu içinde gelir."), (), (300, 900)),
    _t("YAG", "Silah Bakım Yağı", ("Aksesuar", "Tüfek Bakım", "Silah Yağı"), (150, 400), 20,
       "volume_small", _GEAR_BRANDS, "metal yüzeyleri pasa ve neme karşı korur.",
       ("Reçine bırakmaz.", "Sprey başlıklıdır."), (), (120, 300)),
)

# Model series (Turkish mountains, rivers, birds of prey) and editions, combined with brands.
SERIES: tuple[str, ...] = (
    "Kartal", "Şahin", "Doğan", "Atmaca", "Uludağ", "Palandöken", "Fırtına", "Poyraz",
    "Yıldız", "Çelik", "Kızılırmak", "Göksu", "Sarıçam", "Meşe", "Akdeniz", "Karadeniz",
    "Anadolu", "Yörük", "Köroğlu", "Ağrı", "Munzur", "Ilısu", "Söğüt", "Gökbörü", "Ayaz",
    "Işık",
)
EDITIONS: tuple[str, ...] = ("", "Pro", "Lite", "Klasik", "Sport", "Elite", "Max", "Kompakt")

# (name, SKU code)
COLOURS: tuple[tuple[str, str], ...] = (
    ("Haki", "HAK"), ("Siyah", "SYH"), ("Kamuflaj", "KMF"), ("Lacivert", "LCV"),
    ("Kahverengi", "KHV"), ("Zeytin Yeşili", "ZYT"), ("Antrasit", "ANT"), ("Bej", "BEJ"),
    ("Turuncu", "TRC"), ("Bordo", "BRD"), ("Gri", "GRI"), ("Çöl Sarısı", "CSR"),
)

IMAGE_VIEWS: tuple[str, ...] = (
    "ön görünüm", "yan görünüm", "detay görünümü", "kullanım görseli",
)

CLOSING_SENTENCES: tuple[str, ...] = (
    "Ürünlerimiz iki yıl üretici garantisi altındadır.",
    "Siparişleriniz aynı gün kargoya verilir.",
    "Türkiye'de tasarlanıp üretilmiştir.",
    "Tüm bayilerimizde ve online mağazamızda satıştadır.",
    "Kullanmadan önce kullanım kılavuzunu okuyunuz.",
    "Değişim ve iade süresi 14 gündür.",
)
