"""Reference tables the feed generator draws from: airports, carriers, sea ports, goods and names.

Small, hand-checked tables rather than a full airport or tariff database: the generator only needs
realistic, internally consistent values (a carrier flies from its home region, an AWB prefix belongs to
its carrier, a laptop costs more per kilogram than steel beams).
"""

from __future__ import annotations

from dataclasses import dataclass

# Japanese arrival airports and sea ports (the border this demo protects).
JAPAN_AIRPORTS: tuple[str, ...] = ("NRT", "HND", "KIX", "NGO", "FUK")
JAPAN_SEA_PORTS: tuple[str, ...] = ("JPTYO", "JPYOK", "JPUKB", "JPOSA", "JPNGO", "JPHKT")

# IATA airport -> (ISO country, city).
AIRPORTS: dict[str, tuple[str, str]] = {
    "NRT": ("JP", "Tokyo"), "HND": ("JP", "Tokyo"), "KIX": ("JP", "Osaka"), "NGO": ("JP", "Nagoya"),
    "FUK": ("JP", "Fukuoka"),
    "HKG": ("HK", "Hong Kong"), "ICN": ("KR", "Seoul"), "PEK": ("CN", "Beijing"), "PVG": ("CN", "Shanghai"),
    "CAN": ("CN", "Guangzhou"), "TPE": ("TW", "Taipei"), "MNL": ("PH", "Manila"), "BKK": ("TH", "Bangkok"),
    "SIN": ("SG", "Singapore"), "KUL": ("MY", "Kuala Lumpur"), "SGN": ("VN", "Ho Chi Minh City"),
    "HAN": ("VN", "Hanoi"), "CGK": ("ID", "Jakarta"), "DEL": ("IN", "Delhi"), "BOM": ("IN", "Mumbai"),
    "DXB": ("AE", "Dubai"), "DOH": ("QA", "Doha"), "IST": ("TR", "Istanbul"), "LHR": ("GB", "London"),
    "CDG": ("FR", "Paris"), "FRA": ("DE", "Frankfurt"), "AMS": ("NL", "Amsterdam"), "HEL": ("FI", "Helsinki"),
    "SYD": ("AU", "Sydney"), "MEL": ("AU", "Melbourne"), "AKL": ("NZ", "Auckland"),
    "LAX": ("US", "Los Angeles"), "SFO": ("US", "San Francisco"), "JFK": ("US", "New York"),
    "SEA": ("US", "Seattle"), "YVR": ("CA", "Vancouver"), "ULN": ("MN", "Ulaanbaatar"),
    # Airports in listed (high-risk) countries: used only for the planted risky routings.
    "IKA": ("IR", "Tehran"), "FNJ": ("KP", "Pyongyang"), "DAM": ("SY", "Damascus"), "SVO": ("RU", "Moscow"),
    "VVO": ("RU", "Vladivostok"), "MSQ": ("BY", "Minsk"), "HAV": ("CU", "Havana"), "RGN": ("MM", "Yangon"),
}

# Countries whose routings the risk rules treat as listed (sanctions programmes / proliferation concern).
LISTED_COUNTRIES: tuple[str, ...] = ("IR", "KP", "SY", "RU", "BY", "CU", "MM")
RISKY_AIRPORTS: tuple[str, ...] = ("IKA", "FNJ", "DAM", "SVO", "VVO", "MSQ", "HAV", "RGN")
# Hubs a risky itinerary connects through before the last leg to Japan.
CONNECTING_HUBS: tuple[str, ...] = ("IST", "DXB", "DOH", "PEK", "HKG", "ICN")

ORIGIN_AIRPORTS: tuple[str, ...] = tuple(
    code for code, (country, _) in AIRPORTS.items() if country != "JP" and code not in RISKY_AIRPORTS
)


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    awb_prefix: str
    home_country: str


CARRIERS: tuple[Carrier, ...] = (
    Carrier("CX", "CATHAY PACIFIC", "160", "HK"), Carrier("KE", "KOREAN AIR", "180", "KR"),
    Carrier("OZ", "ASIANA AIRLINES", "988", "KR"), Carrier("CA", "AIR CHINA", "999", "CN"),
    Carrier("MU", "CHINA EASTERN", "781", "CN"), Carrier("CZ", "CHINA SOUTHERN", "784", "CN"),
    Carrier("CI", "CHINA AIRLINES", "297", "TW"), Carrier("BR", "EVA AIR", "695", "TW"),
    Carrier("PR", "PHILIPPINE AIRLINES", "079", "PH"), Carrier("TG", "THAI AIRWAYS", "217", "TH"),
    Carrier("SQ", "SINGAPORE AIRLINES", "618", "SG"), Carrier("MH", "MALAYSIA AIRLINES", "232", "MY"),
    Carrier("VN", "VIETNAM AIRLINES", "738", "VN"), Carrier("GA", "GARUDA INDONESIA", "126", "ID"),
    Carrier("AI", "AIR INDIA", "098", "IN"), Carrier("EK", "EMIRATES", "176", "AE"),
    Carrier("QR", "QATAR AIRWAYS", "157", "QA"), Carrier("TK", "TURKISH AIRLINES", "235", "TR"),
    Carrier("BA", "BRITISH AIRWAYS", "125", "GB"), Carrier("AF", "AIR FRANCE", "057", "FR"),
    Carrier("LH", "LUFTHANSA", "020", "DE"), Carrier("KL", "KLM", "074", "NL"),
    Carrier("AY", "FINNAIR", "105", "FI"), Carrier("QF", "QANTAS", "081", "AU"),
    Carrier("NZ", "AIR NEW ZEALAND", "086", "NZ"), Carrier("UA", "UNITED AIRLINES", "016", "US"),
    Carrier("AA", "AMERICAN AIRLINES", "001", "US"), Carrier("DL", "DELTA AIR LINES", "006", "US"),
    Carrier("AC", "AIR CANADA", "014", "CA"), Carrier("OM", "MIAT MONGOLIAN", "289", "MN"),
    Carrier("JL", "JAPAN AIRLINES", "131", "JP"), Carrier("NH", "ALL NIPPON AIRWAYS", "205", "JP"),
)
CARRIER_BY_CODE: dict[str, Carrier] = {c.code: c for c in CARRIERS}
JAPANESE_CARRIERS: tuple[str, ...] = ("JL", "NH")

# Foreign sea ports (UN/LOCODE) with their country; the last four are in listed countries.
SEA_PORTS: dict[str, str] = {
    "CNSHA": "CN", "CNNGB": "CN", "CNYTN": "CN", "CNTAO": "CN", "HKHKG": "HK", "KRPUS": "KR",
    "TWKHH": "TW", "SGSIN": "SG", "VNSGN": "VN", "THLCH": "TH", "MYPKG": "MY", "IDJKT": "ID",
    "INNSA": "IN", "AEJEA": "AE", "NLRTM": "NL", "DEHAM": "DE", "BEANR": "BE", "USLAX": "US",
    "USLGB": "US", "CAVAN": "CA", "AUSYD": "AU",
}
RISKY_SEA_PORTS: dict[str, str] = {"IRBND": "IR", "KPNAM": "KP", "SYLTK": "SY", "RUVVO": "RU"}
VESSEL_NAMES: tuple[str, ...] = (
    "EVER GIVEN", "MAERSK ESSEN", "CMA CGM MARCO POLO", "ONE APUS", "COSCO SHIPPING ARIES",
    "MSC GULSUN", "HMM ALGECIRAS", "YM WELLNESS", "OOCL HONG KONG", "NYK BLUE JAY", "WAN HAI 316",
    "SITC HAKATA", "KMTC TOKYO", "HYUNDAI PRIDE",
)
CONTAINER_OWNERS: tuple[str, ...] = (
    "MSKU", "MAEU", "CMAU", "HLXU", "MSCU", "OOLU", "EGHU", "CSNU", "TGHU", "TCLU", "ONEU", "NYKU",
)


@dataclass(frozen=True)
class Goods:
    """A goods line: its HS code and the normal customs value per kilogram (USD) for it."""

    hs_code: str
    description: str
    usd_per_kg: float
    min_kg: float
    max_kg: float
    package: str  # UN/ECE rec. 21 package code


GOODS: tuple[Goods, ...] = (
    Goods("847130", "PORTABLE COMPUTERS", 150.0, 40, 900, "CT"),
    Goods("851712", "MOBILE TELEPHONES", 300.0, 20, 600, "CT"),
    Goods("854231", "PROCESSORS AND CONTROLLERS", 2000.0, 5, 120, "BX"),
    Goods("852872", "TELEVISION RECEIVERS", 45.0, 300, 6000, "CT"),
    Goods("870899", "MOTOR VEHICLE PARTS", 12.0, 200, 9000, "PK"),
    Goods("846693", "PARTS FOR MACHINE TOOLS", 35.0, 50, 3000, "CS"),
    Goods("848210", "BALL BEARINGS", 18.0, 100, 4000, "CS"),
    Goods("620342", "MENS COTTON TROUSERS", 25.0, 100, 5000, "CT"),
    Goods("610910", "COTTON T-SHIRTS", 20.0, 100, 6000, "CT"),
    Goods("640399", "LEATHER FOOTWEAR", 40.0, 80, 3000, "CT"),
    Goods("950300", "TOYS", 10.0, 200, 8000, "CT"),
    Goods("300490", "MEDICAMENTS IN DOSES", 120.0, 20, 800, "BX"),
    Goods("330499", "COSMETIC PREPARATIONS", 30.0, 50, 2000, "CT"),
    Goods("090111", "COFFEE NOT ROASTED", 4.0, 1000, 19000, "BG"),
    Goods("030617", "FROZEN SHRIMPS", 9.0, 1000, 18000, "CT"),
    Goods("220421", "WINE IN BOTTLES", 6.0, 500, 15000, "CS"),
    Goods("940360", "WOODEN FURNITURE", 5.0, 300, 12000, "PK"),
    Goods("392690", "ARTICLES OF PLASTICS", 8.0, 100, 8000, "CT"),
    Goods("730890", "STEEL STRUCTURES", 2.0, 2000, 24000, "PK"),
    Goods("901890", "MEDICAL INSTRUMENTS", 150.0, 20, 800, "CS"),
    Goods("880730", "AIRCRAFT PARTS", 300.0, 10, 500, "CS"),
    Goods("845891", "LATHES FOR METAL", 40.0, 500, 8000, "CS"),
)
GOODS_BY_HS: dict[str, Goods] = {g.hs_code: g for g in GOODS}
# Goods that travel by air (high value per kilogram, perishable or urgent).
AIR_GOODS: tuple[Goods, ...] = tuple(g for g in GOODS if g.usd_per_kg >= 12 or g.hs_code == "030617")


# Normal customs value per kilogram by HS chapter (USD): the yardstick undervaluation is measured
# against, the same figures the targeting rules use (targeting/reference.yaml). Every goods line above
# is priced at least half its chapter norm, so only planted lines fall far below it.
CHAPTER_USD_PER_KG: dict[str, float] = {
    "03": 8, "09": 5, "22": 6, "30": 100, "33": 25, "39": 6, "61": 20, "62": 25, "64": 35, "73": 3, "84": 35,
    "85": 60, "87": 12, "88": 250, "90": 120, "94": 5, "95": 10,
}


def hs_chapter_norms() -> dict[str, float]:
    """Normal USD/kg per HS chapter (2 digits) for the chapters the generator uses."""
    return dict(sorted(CHAPTER_USD_PER_KG.items()))


# Romanised names by nationality: enough variety for thousands of distinct travellers.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # country: (male given names, female given names, surnames)
    "JP": (("HIROSHI", "TAKESHI", "KENJI", "YUTO", "HARUTO", "SOTA", "DAIKI", "RYO"),
           ("YUKI", "AOI", "SAKURA", "HANA", "MEI", "RIN", "NAOMI", "EMI"),
           ("SATO", "SUZUKI", "TAKAHASHI", "TANAKA", "WATANABE", "ITO", "YAMAMOTO", "NAKAMURA", "KOBAYASHI",
            "KATO", "YOSHIDA", "YAMADA")),
    "CN": (("WEI", "JUN", "HAO", "LEI", "MING", "QIANG", "TAO", "YONG"),
           ("LI", "XIU", "YAN", "JING", "FANG", "LING", "HUI", "MIN"),
           ("WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU", "XU", "SUN")),
    "HK": (("KA MING", "CHI WAI", "WING KEUNG", "HO YIN", "KWOK LEUNG"),
           ("MEI LING", "WAI YEE", "SIU MAN", "KA YAN", "HOI CHING"),
           ("CHAN", "WONG", "LEUNG", "LAU", "CHEUNG", "LAM", "HO", "NG", "TSANG", "YIP")),
    "KR": (("MIN-JUN", "SEO-JUN", "JI-HO", "HYUN-WOO", "DONG-HYUN"),
           ("SEO-YEON", "JI-WOO", "HA-EUN", "SOO-AH", "MIN-JI"),
           ("KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "CHO", "YOON", "JANG", "LIM")),
    "TW": (("CHIH-MING", "CHUN-HUNG", "WEN-HSIUNG", "YU-CHENG"),
           ("SHU-FEN", "MEI-HUA", "YA-TING", "HSIU-YING"),
           ("CHEN", "LIN", "HUANG", "CHANG", "LEE", "WANG", "WU", "TSAI")),
    "US": (("JAMES", "MICHAEL", "ROBERT", "DAVID", "WILLIAM", "JOHN", "DANIEL", "MATTHEW"),
           ("MARY", "JENNIFER", "LINDA", "SARAH", "JESSICA", "EMILY", "ASHLEY", "LAURA"),
           ("SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "WILSON", "MOORE")),
    "GB": (("OLIVER", "GEORGE", "HARRY", "JACK", "THOMAS", "JAMES"),
           ("OLIVIA", "AMELIA", "ISLA", "EMILY", "SOPHIE", "GRACE"),
           ("TAYLOR", "EVANS", "THOMAS", "ROBERTS", "WALKER", "WRIGHT", "HUGHES", "EDWARDS", "O'BRIEN")),
    "DE": (("LUKAS", "FELIX", "JONAS", "MAXIMILIAN", "PAUL", "STEFAN"),
           ("ANNA", "LEA", "HANNAH", "LAURA", "JULIA", "KATHARINA"),
           ("MUELLER", "SCHMIDT", "SCHNEIDER", "FISCHER", "WEBER", "MEYER", "WAGNER", "BECKER")),
    "FR": (("LUCAS", "HUGO", "LOUIS", "GABRIEL", "ARTHUR", "JULES"),
           ("EMMA", "LOUISE", "CHLOE", "CAMILLE", "MANON", "LEA"),
           ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND")),
    "AU": (("JACK", "NOAH", "WILLIAM", "LIAM", "ETHAN"),
           ("CHARLOTTE", "MIA", "ZOE", "RUBY", "CHLOE"),
           ("SMITH", "JONES", "WILLIAMS", "BROWN", "WILSON", "TAYLOR", "NGUYEN")),
    "TH": (("SOMCHAI", "SOMSAK", "ANUCHA", "PRASERT"),
           ("SOMPORN", "MALEE", "PRANEE", "SIRIPORN"),
           ("SAETANG", "SRISUK", "WONGSAWAT", "CHAIYAPORN", "BOONMA")),
    "VN": (("MINH", "HUNG", "DUC", "TUAN", "QUANG"),
           ("LAN", "HOA", "THAO", "LINH", "MAI"),
           ("NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "PHAN", "VU")),
    "PH": (("JOSE", "MARK", "JOHN PAUL", "RAFAEL"),
           ("MARIA", "ANGELICA", "KRISTINE", "JASMINE"),
           ("SANTOS", "REYES", "CRUZ", "BAUTISTA", "GARCIA", "MENDOZA")),
    "IN": (("RAHUL", "AMIT", "VIKRAM", "ARJUN", "SANJAY"),
           ("PRIYA", "ANJALI", "DEEPA", "KAVYA", "NEHA"),
           ("SHARMA", "PATEL", "SINGH", "KUMAR", "GUPTA", "REDDY", "IYER", "D'SOUZA")),
    "SG": (("WEI JIE", "JUN HAO", "KUMAR", "DANIEL"),
           ("HUI MIN", "XIN YI", "PRIYA", "RACHEL"),
           ("TAN", "LIM", "LEE", "NG", "ONG", "WONG", "GOH")),
    "RU": (("ALEXEI", "SERGEI", "ANDREI", "IVAN", "NIKOLAI"),
           ("OLGA", "TATIANA", "ELENA", "NATALIA", "IRINA"),
           ("IVANOV", "SMIRNOV", "KUZNETSOV", "POPOV", "SOKOLOV", "LEBEDEV")),
}
TRAVELLER_COUNTRIES: tuple[str, ...] = tuple(NAMES)

# Fictional street names and cities by country, for addresses.
CITIES: dict[str, tuple[str, ...]] = {
    "JP": ("Minato-ku", "Chiyoda-ku", "Shinjuku-ku", "Yokohama", "Osaka", "Nagoya", "Fukuoka", "Kobe"),
    "CN": ("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Ningbo", "Xiamen"),
    "HK": ("Kowloon", "Tsim Sha Tsui", "Wan Chai", "Kwun Tong", "Central"),
    "KR": ("Seoul", "Busan", "Incheon"), "TW": ("Taipei", "Kaohsiung", "Taichung"),
    "US": ("Los Angeles", "Seattle", "New York", "San Jose", "Chicago"),
    "GB": ("London", "Manchester", "Birmingham"), "DE": ("Hamburg", "Frankfurt", "Munich"),
    "FR": ("Paris", "Lyon", "Marseille"), "AU": ("Sydney", "Melbourne"), "TH": ("Bangkok", "Chonburi"),
    "VN": ("Ho Chi Minh City", "Hanoi"), "PH": ("Manila", "Cebu"), "IN": ("Mumbai", "Delhi", "Chennai"),
    "SG": ("Singapore",), "RU": ("Moscow", "Vladivostok"), "MY": ("Kuala Lumpur", "Penang"),
    "ID": ("Jakarta", "Surabaya"), "AE": ("Dubai",), "NL": ("Rotterdam",), "BE": ("Antwerp",),
    "CA": ("Vancouver", "Toronto"), "IR": ("Tehran", "Bandar Abbas"), "KP": ("Pyongyang",),
    "SY": ("Damascus",), "BY": ("Minsk",), "QA": ("Doha",), "TR": ("Istanbul",), "NZ": ("Auckland",),
    "FI": ("Helsinki",), "MN": ("Ulaanbaatar",), "CU": ("Havana",), "MM": ("Yangon",),
}
STREETS: tuple[str, ...] = (
    "Harbour Road", "Industrial Avenue", "Trade Centre Street", "Station Road", "Park Lane", "River Road",
    "Commerce Way", "Market Street", "Logistics Park", "Airport Road",
)
LOCAL_STREETS: dict[str, tuple[str, ...]] = {
    "JP": ("Kaigan", "Nishi-Shinbashi", "Shibakoen", "Minatomirai", "Honcho", "Kitahama", "Nakanoshima"),
    "HK": ("Canton Road", "Nathan Road", "Hennessy Road", "Queen's Road Central", "Hoi Bun Road"),
    "CN": ("Nanjing Road", "Huaihai Road", "Shennan Avenue", "Zhongshan Road"),
    "KR": ("Teheran-ro", "Sejong-daero", "Jungang-daero"),
    "SG": ("Jurong Port Road", "Tanjong Pagar Road", "Orchard Road"),
    "DE": ("Hafenstrasse", "Industriestrasse", "Bahnhofstrasse"),
    "FR": ("Rue de la Paix", "Avenue du Port", "Rue du Commerce"),
}
COMPANY_WORDS: tuple[str, ...] = (
    "GLOBAL", "PACIFIC", "ORIENT", "SUNRISE", "EASTERN", "UNITED", "PRIME", "GOLDEN", "SILVER", "OCEAN",
    "SKY", "DRAGON", "PHOENIX", "LOTUS", "MERIDIAN", "NORTHSTAR", "HARBOUR", "SUMMIT", "CRYSTAL", "JADE",
)
COMPANY_TRADES: tuple[str, ...] = (
    "TRADING", "ELECTRONICS", "LOGISTICS", "IMPORT EXPORT", "MACHINERY", "TEXTILES", "FOODS", "COMPONENTS",
    "INDUSTRIAL", "MEDICAL SUPPLY",
)
COMPANY_SUFFIX: dict[str, str] = {
    "JP": "KK", "CN": "CO LTD", "HK": "LIMITED", "KR": "CO LTD", "TW": "CORP", "US": "INC", "GB": "LTD",
    "DE": "GMBH", "FR": "SARL", "SG": "PTE LTD", "VN": "JSC", "TH": "CO LTD", "IN": "PVT LTD", "MY": "SDN BHD",
}
