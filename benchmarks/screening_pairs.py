"""Builds the labelled name pairs that ``benchmarks/screening.py`` evaluates on (dev and test parts).

Usage: ``.venv/bin/python benchmarks/screening_pairs.py`` (writes ``data/names/screening_pairs.csv``).

Sources, every pair labelled ``1`` (same party) or ``0`` (different parties):

* ``shared_treated``: the shared names set's UN rows with realistic misspellings against the same rows
  as listed (``positives_un_treated`` / ``positives_un_untreated``, row by row).
* ``shared_negative``: each look-alike person of ``negatives_*`` and each US legislator against the list
  name a plain fuzzy matcher (rapidfuzz ``token_sort_ratio`` over all list names) finds closest: hard
  negatives chosen without Sekisho's matcher.
* ``alias``: a list entry's primary name against its own aliases (OFAC ``alt.csv``, UN aliases, CSL alt
  names). Latin aliases that share nothing recognisable with the primary name (``token_set_ratio`` of
  the ASCII forms under 50: another name altogether, a nom de guerre) are left out, since no name
  matcher can or should find them; ``cross_script_list`` are a person's original-script names
  (Arabic, Cyrillic, Chinese...) against the Latin primary name, none left out.
* generated variants of list names, one kind of deviation each (``missing_part``, ``extra_part``,
  ``typo_short``, ``typo_long``, ``number_word``, ``roman_numeral``, ``acronym``, ``join_split``,
  ``initials``, ``nickname`` from the ``nicknames`` package (Sekisho reads nicknames from rigour's
  symbols instead), ``legal_form_person``) and hard negatives (``namesake``: a different given name or
  surname in the same name; ``number_differs``: another number or roman numeral in the same company
  name; ``lineage_swap``: X bin Y against Y bin X; ``list_namesake`` and ``similar_company``: two
  different entries of the same list with close names).
* ``translit_*``: people written in Korean, Japanese, Chinese and Cyrillic in the shared negatives set,
  romanised here with libraries Sekisho does not use for that script (anyascii, korean-romanizer; for
  Japanese kanji pykakasi, which Sekisho also reads, so those pairs test the readings' spelling
  variants, not the reader), in the forms passports and lists use (surname first or last, popular
  Korean surname spellings, Japanese long vowels written short); ``translit_namesake`` and
  ``hanzi_homophone`` are their hard negatives (another given name with the same surname; another
  character with the same pinyin).

Split by entity: entries that share a name are one entity (the same party on several lists), and an
entity's pairs all go to ``dev`` or all to ``test`` (a hash of the entity key). Tune on dev only.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from anyascii import anyascii
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enrichment.screening.entries import WatchlistEntry  # noqa: E402
from enrichment.screening.loaders import load_all  # noqa: E402

SEED = 20261205
OUT = ROOT / "data" / "names" / "screening_pairs.csv"
PER_KIND = 240


@dataclass(frozen=True)
class Pair:
    kind: str
    schema: str
    left: str
    right: str
    label: int
    group: str
    entry_id: str = ""  # the list entry the right-hand name belongs to, for blocking recall


def latin(text: str) -> bool:
    return all(not ch.isalpha() or ord(ch) < 0x250 for ch in text)


def script_of(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            return unicodedata.name(ch, "?").split()[0]
    return "?"


def norm(text: str) -> str:
    return " ".join(sorted(re.findall(r"[a-z0-9]+", anyascii(text).lower())))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w]


class Groups:
    """Entries sharing a normalised name are one entity."""

    def __init__(self, entries: list[WatchlistEntry]) -> None:
        self.parent = {e.entry_id: e.entry_id for e in entries}
        by_name: dict[str, str] = {}
        for entry in entries:
            for name in entry.names:
                key = norm(name)
                if not key:
                    continue
                if key in by_name:
                    self.union(by_name[key], entry.entry_id)
                else:
                    by_name[key] = entry.entry_id
        self.by_name = by_name

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def split_of(group: str) -> str:
    return "dev" if int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


# ------------------------------------------------------------------------------------------ variants

GIVEN_POOL = [
    "Ahmed",
    "Ali",
    "Hassan",
    "Omar",
    "Yusuf",
    "Ibrahim",
    "Khalid",
    "Sergei",
    "Ivan",
    "Dmitri",
    "Oleg",
    "Pavel",
    "Andrei",
    "Nikolai",
    "Maria",
    "Elena",
    "Olga",
    "John",
    "Michael",
    "David",
    "Peter",
    "Juan",
    "Carlos",
    "Jose",
    "Luis",
    "Wei",
    "Li",
    "Chen",
    "Jin",
    "Min",
    "Sung",
    "Fatima",
    "Aisha",
    "Karim",
    "Tariq",
    "Bashir",
    "Nasser",
    "Samir",
    "Walid",
    "Rami",
    "Abdullah",
    "Mustafa",
    "Mahmoud",
    "Hamid",
]
PATRONYMIC_POOL = ["Ivanovich", "Petrovich", "Sergeyevich", "Alexandrovich", "Nikolaevich", "Vladimirovich"]
NUMBER_WORDS = {
    "1": "One",
    "2": "Two",
    "3": "Three",
    "4": "Four",
    "5": "Five",
    "6": "Six",
    "7": "Seven",
    "8": "Eight",
    "9": "Nine",
    "10": "Ten",
    "11": "Eleven",
    "12": "Twelve",
    "20": "Twenty",
    "100": "Hundred",
}
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
ROMAN_BY_VALUE = {v: k for k, v in ROMAN.items()}
LEGAL = {
    "LTD",
    "LIMITED",
    "LLC",
    "CO",
    "COMPANY",
    "INC",
    "CORP",
    "CORPORATION",
    "JSC",
    "OJSC",
    "CJSC",
    "PJSC",
    "OOO",
    "SA",
    "GMBH",
    "AG",
    "PLC",
    "FZE",
    "LLP",
    "PTE",
    "BV",
    "CV",
    "SAS",
    "SRL",
    "SPA",
    "SCS",
    "CIA",
    "OAO",
    "ZAO",
    "PAO",
    "AO",
    "SL",
    "SAC",
    "SARL",
    "FZCO",
    "JOINT",
    "STOCK",
    "PUBLIC",
    "CLOSED",
}
STOP = {"OF", "THE", "AND", "FOR", "DE", "DEL", "LA", "EL", "AL", "&", "-", "D'", "DU", "DES", "ET", "Y"}
LINEAGE = {"BIN", "IBN", "BINT", "BEN", "OULD", "WALAD"}
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"


def typo(word: str, rng: random.Random) -> str:
    letters = list(word)
    kind = rng.choice(["sub", "del", "ins", "swap", "double"])
    i = rng.randrange(1, len(letters)) if len(letters) > 1 else 0
    if kind == "sub":
        letters[i] = (
            rng.choice([c for c in KEYBOARD if c != letters[i].lower()]).upper()
            if word.isupper()
            else (rng.choice([c for c in KEYBOARD if c != letters[i].lower()]))
        )
    elif kind == "del" and len(letters) > 3:
        del letters[i]
    elif kind == "ins":
        letters.insert(i, letters[i - 1])
    elif kind == "swap" and len(letters) > 2:
        j = min(i, len(letters) - 2)
        letters[j], letters[j + 1] = letters[j + 1], letters[j]
    else:
        letters.insert(i, letters[i])
    return "".join(letters)


TITLES = {"DR", "MR", "MRS", "SHEIKH", "HAJI", "MULLAH", "MAULAVI", "MAULVI", "QARI", "GENERAL", "COLONEL"}


def person_tokens(name: str) -> list[str]:
    ws = [w.strip(",") for w in words(name) if re.search(r"[A-Za-z]", w)]
    return [w for w in ws if _bare(w) not in TITLES]


def _bare(word: str) -> str:
    return word.upper().replace(".", "").strip(",")


def significant(ws: list[str]) -> list[str]:
    return [w for w in ws if _bare(w) not in LEGAL and _bare(w) not in STOP and re.search(r"[A-Za-z0-9]", w)]


def core(text: str) -> str:
    """``norm`` without legal forms and stop words: what an alias has to share to be the same name."""
    return norm(" ".join(significant(words(text))))


def generated(entries: list[WatchlistEntry], groups: Groups, rng: random.Random) -> list[Pair]:
    from nicknames import NickNamer

    nick = NickNamer()
    persons = [e for e in entries if e.schema == "Person" and e.names and latin(e.names[0])]
    orgs = [e for e in entries if e.schema in ("Company", "LegalEntity") and e.names and latin(e.names[0])]
    rng.shuffle(persons)
    rng.shuffle(orgs)
    out: dict[str, list[Pair]] = defaultdict(list)

    def add(kind: str, entry: WatchlistEntry, left: str, label: int, schema: str | None = None) -> None:
        if len(out[kind]) >= PER_KIND or norm(left) == "":
            return
        right = entry.names[0]
        if label == 0 and norm(left) == norm(right):
            return
        if label == 1 and left == right:
            return
        out[kind].append(
            Pair(kind, schema or entry.schema, left, right, label, groups.find(entry.entry_id), entry.entry_id)
        )

    for e in persons:
        toks = person_tokens(e.names[0])
        if len(toks) >= 3:
            drop = rng.randrange(1, len(toks))
            add("missing_part", e, " ".join(t for i, t in enumerate(toks) if i != drop), 1)
        if 1 < len(toks) <= 3:
            extra = rng.choice(PATRONYMIC_POOL if rng.random() < 0.4 else GIVEN_POOL).upper()
            pos = rng.randrange(1, len(toks))
            add("extra_part", e, " ".join([*toks[:pos], extra, *toks[pos:]]), 1)
        if len(toks) >= 2:
            short = [i for i, t in enumerate(toks) if 3 <= len(t) <= 5]
            long_ = [i for i, t in enumerate(toks) if len(t) >= 6]
            if short:
                i = rng.choice(short)
                add("typo_short", e, " ".join(typo(t, rng) if j == i else t for j, t in enumerate(toks)), 1)
            if long_:
                i = rng.choice(long_)
                add("typo_long", e, " ".join(typo(t, rng) if j == i else t for j, t in enumerate(toks)), 1)
            # A different person sharing all but one part: another given name or surname.
            i = rng.randrange(len(toks))
            other = rng.choice(GIVEN_POOL).upper()
            if other.lower() != toks[i].lower().strip(".") and len(toks[i]) > 2:
                add("namesake", e, " ".join(other if j == i else t for j, t in enumerate(toks)), 0)
            # Initials of the given names (surname first in the lists: "SURNAME, Given Middle").
            if "," in e.names[0]:
                surname, given = e.names[0].split(",", 1)
                given_parts = person_tokens(given)
                if given_parts and all(len(g) > 1 for g in given_parts):
                    form = rng.choice(["dotted", "joined"])
                    initials = (
                        " ".join(g[0] + "." for g in given_parts)
                        if form == "dotted"
                        else "".join(g[0] for g in given_parts)
                    )
                    add("initials", e, f"{initials} {surname.strip()}", 1)
                for g in given_parts:
                    nicks = sorted(nick.nicknames_of(g.lower()))
                    if nicks:
                        new = rng.choice(nicks).capitalize()
                        add("nickname", e, f"{surname.strip()}, {given.replace(g, new, 1).strip()}", 1)
                        break
            upper = [t.upper() for t in toks]
            for marker in LINEAGE:
                if marker in upper:
                    k = upper.index(marker)
                    if 0 < k < len(toks) - 1:
                        swapped = [*toks[: k - 1], toks[k + 1], toks[k], toks[k - 1], *toks[k + 2 :]]
                        add("lineage_swap", e, " ".join(swapped), 0)
                    break
            joinable = [i for i in range(len(toks) - 1) if len(toks[i]) + len(toks[i + 1]) <= 12]
            if joinable and rng.random() < 0.5:
                i = rng.choice(joinable)
                add("join_split", e, " ".join([*toks[:i], toks[i] + toks[i + 1], *toks[i + 2 :]]), 1)
            else:
                long_split = [i for i, t in enumerate(toks) if len(t) >= 8]
                if long_split:
                    i = rng.choice(long_split)
                    cut = len(toks[i]) // 2
                    add("join_split", e, " ".join([*toks[:i], toks[i][:cut], toks[i][cut:], *toks[i + 1 :]]), 1)
            add("legal_form_person", e, f"{' '.join(toks)} {rng.choice(['LLC', 'Ltd', 'GmbH', 'S.A.'])}", 1, "Person")

    for e in orgs:
        ws = words(e.names[0])
        sig = significant(ws)
        upper = [w.upper().strip(".,") for w in ws]
        for i, w in enumerate(upper):
            if w in NUMBER_WORDS:
                add("number_word", e, " ".join(NUMBER_WORDS[w] if j == i else x for j, x in enumerate(ws)), 1)
                other = str(int(w) + rng.choice([1, 2]))
                add("number_differs", e, " ".join(other if j == i else x for j, x in enumerate(ws)), 0)
                break
            if w.capitalize() in NUMBER_WORDS.values():
                digit = next(k for k, v in NUMBER_WORDS.items() if v == w.capitalize())
                add("number_word", e, " ".join(digit if j == i else x for j, x in enumerate(ws)), 1)
                break
            if w in ROMAN and w not in ("I", "V", "X") and i > 0:
                add("roman_numeral", e, " ".join(str(ROMAN[w]) if j == i else x for j, x in enumerate(ws)), 1)
                other = ROMAN_BY_VALUE[ROMAN[w] + 1]
                add("number_differs", e, " ".join(other if j == i else x for j, x in enumerate(ws)), 0)
                break
        if 3 <= len(sig) <= 6 and all(re.match(r"[A-Za-z]", w) for w in sig):
            add("acronym", e, "".join(w[0] for w in sig).upper(), 1)
        if len(sig) >= 3:
            drop = rng.choice([i for i, w in enumerate(ws) if w in sig[1:]])
            add("missing_part", e, " ".join(w for i, w in enumerate(ws) if i != drop), 1)
        long_ = [i for i, w in enumerate(ws) if len(w) >= 6 and w in sig]
        if long_:
            i = rng.choice(long_)
            add("typo_long", e, " ".join(typo(w, rng) if j == i else w for j, w in enumerate(ws)), 1)
        if len(sig) >= 2 and rng.random() < 0.5:
            i = rng.randrange(len(ws) - 1)
            if ws[i] in sig and ws[i + 1] in sig:
                add("join_split", e, " ".join([*ws[:i], ws[i] + ws[i + 1], *ws[i + 2 :]]), 1)
    # Roman numerals and numbers are rare in the lists: also make them from company names.
    for e in orgs:
        ws = words(e.names[0])
        sig = significant(ws)
        if e.schema != "Company" or len(sig) < 2 or len(out["roman_numeral"]) >= PER_KIND // 2:
            continue
        n = rng.randint(2, 9)
        base = " ".join(sig)
        roman_name, other = f"{base} {ROMAN_BY_VALUE[n]}", f"{base} {ROMAN_BY_VALUE[n + 1 if n < 9 else n - 1]}"
        out["roman_numeral"].append(
            Pair("roman_numeral", e.schema, roman_name, f"{base} {n}", 1, groups.find(e.entry_id))
        )
        out["number_differs"].append(Pair("number_differs", e.schema, roman_name, other, 0, groups.find(e.entry_id)))
        digit = rng.choice([k for k in NUMBER_WORDS if int(k) <= 12])
        out["number_word"].append(
            Pair(
                "number_word", e.schema, f"{NUMBER_WORDS[digit]} {base}", f"{digit} {base}", 1, groups.find(e.entry_id)
            )
        )
    return [pair for pairs in out.values() for pair in pairs]


def list_pairs(entries: list[WatchlistEntry], groups: Groups, rng: random.Random) -> list[Pair]:
    pairs: list[Pair] = []
    aliases: list[Pair] = []
    cross: list[Pair] = []
    for e in entries:
        primary = e.names[0] if e.names else ""
        if not primary or not latin(primary):
            continue
        for alias in e.names[1:]:
            if norm(alias) == norm(primary) or not norm(alias):
                continue
            if not latin(alias):
                if e.schema == "Person":
                    cross.append(
                        Pair("cross_script_list", e.schema, alias, primary, 1, groups.find(e.entry_id), e.entry_id)
                    )
                continue
            if fuzz.token_set_ratio(core(alias), core(primary)) >= 50:
                aliases.append(Pair("alias", e.schema, alias, primary, 1, groups.find(e.entry_id), e.entry_id))
    rng.shuffle(aliases)
    pairs += aliases[:1500] + cross
    # Different entries of one list with close names: namesakes and similarly named companies.
    for schema, kind in (("Person", "list_namesake"), ("Company", "similar_company")):
        pool = [
            e for e in entries if e.schema == schema and e.list_name == "OFAC SDN" and e.names and latin(e.names[0])
        ]
        choices = [norm(e.names[0]) for e in pool]
        found: list[Pair] = []
        for i in rng.sample(range(len(pool)), min(len(pool), 1500)):
            for _, score, j in process.extract(choices[i], choices, scorer=fuzz.token_sort_ratio, limit=4):
                a, b = pool[i], pool[j]
                if (
                    j == i
                    or score < 70
                    or choices[i] == choices[j]
                    or groups.find(a.entry_id) == groups.find(b.entry_id)
                ):
                    continue
                if set(a.birth_dates) & set(b.birth_dates):
                    continue
                found.append(Pair(kind, schema, a.names[0], b.names[0], 0, groups.find(b.entry_id), b.entry_id))
                break
        pairs += found[:PER_KIND]
    return pairs


def read_names(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shared_pairs(names_dir: Path, entries: list[WatchlistEntry], groups: Groups) -> list[Pair]:
    pairs: list[Pair] = []
    treated = read_names(names_dir / "positives_un_treated.csv")
    untreated = read_names(names_dir / "positives_un_untreated.csv")
    for a, b in zip(treated, untreated, strict=True):
        owner = groups.by_name.get(norm(b["full_name"]))
        group = groups.find(owner) if owner else "name:" + norm(b["full_name"])
        if a["full_name"] != b["full_name"]:
            pairs.append(Pair("shared_treated", "Person", a["full_name"], b["full_name"], 1, group, owner or ""))
    list_names = [(name, e) for e in entries for name in e.names if latin(name)]
    choices = [norm(name) for name, _ in list_names]
    for file in ("negatives_global.csv", "negatives_us.csv", "positives_us_congress_untreated.csv"):
        for row in read_names(names_dir / file):
            query = row["full_name"]
            best = process.extractOne(norm(query), choices, scorer=fuzz.token_set_ratio)
            if best is None:
                continue
            name, entry = list_names[best[2]]
            if norm(name) == norm(query):
                continue  # a namesake spelled exactly as listed: no name matcher can tell them apart
            pairs.append(Pair("shared_negative", "Person", query, name, 0, groups.find(entry.entry_id), entry.entry_id))
    return pairs


# ------------------------------------------------------------------------------------------ scripts

KOREAN_POPULAR = {
    "김": ["Kim"],
    "이": ["Lee", "Yi", "Ri", "Rhee"],
    "박": ["Park", "Pak"],
    "최": ["Choi", "Choe"],
    "정": ["Jung", "Jeong", "Chung", "Chong"],
    "강": ["Kang"],
    "조": ["Cho", "Jo"],
    "윤": ["Yoon", "Yun"],
    "장": ["Jang", "Chang"],
    "임": ["Lim", "Im", "Rim"],
    "한": ["Han"],
    "오": ["Oh", "O"],
    "서": ["Seo", "Suh"],
    "신": ["Shin", "Sin"],
    "권": ["Kwon"],
    "황": ["Hwang"],
    "안": ["Ahn", "An"],
    "송": ["Song"],
    "류": ["Ryu", "Yoo", "Yu"],
    "유": ["Yoo", "Yu"],
    "홍": ["Hong"],
    "전": ["Jeon", "Chon"],
    "고": ["Ko", "Go"],
    "문": ["Moon", "Mun"],
    "양": ["Yang"],
    "손": ["Son"],
    "배": ["Bae", "Pae"],
    "백": ["Baek", "Paek"],
    "허": ["Heo", "Hur"],
    "노": ["Noh", "Ro"],
    "남": ["Nam"],
    "심": ["Shim", "Sim"],
    "하": ["Ha"],
}
JAPANESE_LONG = (("ou", "o"), ("oo", "o"), ("uu", "u"))


def korean_forms(native: str, rng: random.Random) -> str:
    from korean_romanizer.romanizer import Romanizer

    parts = native.split()
    surname, given = parts[-1], parts[:-1]  # the shared set writes given names first
    sur = rng.choice(KOREAN_POPULAR.get(surname, [Romanizer(surname).romanize().capitalize()]))
    given_latin = []
    for g in given:
        syllables = [Romanizer(s).romanize() for s in g]
        style = rng.choice(["joined", "hyphen", "spaced"])
        text = "".join(syllables) if style == "joined" else ("-" if style == "hyphen" else " ").join(syllables)
        given_latin.append(text.capitalize() if style != "spaced" else text.title())
    return rng.choice([f"{' '.join(given_latin)} {sur}", f"{sur.upper()}, {' '.join(given_latin)}"])


def japanese_forms(native: str, kks: object, rng: random.Random) -> str:
    parts = native.split()
    latin_parts = []
    for part in parts:
        reading = "".join(item["hepburn"] for item in kks.convert(part))  # type: ignore[attr-defined]
        for long, short in JAPANESE_LONG:
            reading = reading.replace(long, short)
        latin_parts.append(reading.capitalize())
    return rng.choice([" ".join(latin_parts), f"{latin_parts[-1].upper()} {' '.join(latin_parts[:-1])}"])


def chinese_forms(native: str, rng: random.Random) -> str:
    parts = [anyascii(p) for p in native.split()]
    parts = [p.capitalize() for p in parts]
    return rng.choice([" ".join(parts), f"{parts[-1].upper()} {' '.join(parts[:-1])}"])


def cyrillic_forms(native: str, rng: random.Random) -> str:
    text = anyascii(native).replace("'", "")
    if rng.random() < 0.3:
        text = text.replace("iy ", "y ").replace("Yu", "Iu").replace("ya", "ia")
    return text


def script_pairs(names_dir: Path, rng: random.Random) -> list[Pair]:
    import icu
    import pykakasi

    kks = pykakasi.kakasi()
    han = icu.Transliterator.createInstance("Han-Latin; Latin-ASCII")
    rows = read_names(names_dir / "negatives_global.csv") + read_names(names_dir / "negatives_us.csv")
    by_script: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        name = row["full_name"].strip()
        script = script_of(name)
        parts = name.split()
        if len(parts) < 2:
            continue
        if script == "HANGUL":
            by_script["korean"].append(name)
        elif script in ("CJK", "HIRAGANA", "KATAKANA"):
            japanese = any(script_of(ch) in ("HIRAGANA", "KATAKANA") for ch in name) or len(parts[-1]) >= 2
            by_script["japanese" if japanese else "chinese"].append(name)
        elif script == "CYRILLIC":
            by_script["cyrillic"].append(name)
    pairs: list[Pair] = []
    for script, names in by_script.items():
        for name in names:
            if script == "korean":
                latin_name = korean_forms(name, rng)
            elif script == "japanese":
                latin_name = japanese_forms(name, kks, rng)
            elif script == "chinese":
                latin_name = chinese_forms(name, rng)
            else:
                latin_name = cyrillic_forms(name, rng)
            group = "native:" + name
            pairs.append(Pair(f"translit_{script}", "Person", name, latin_name, 1, group))
            # Hard negative: someone else of the same surname, romanised the same way.
            others = [n for n in names if n.split()[-1] == name.split()[-1] and n.split()[0] != name.split()[0]]
            if others:
                other = rng.choice(others)
                if script == "korean":
                    other_latin = korean_forms(other, rng)
                elif script == "japanese":
                    other_latin = japanese_forms(other, kks, rng)
                elif script == "chinese":
                    other_latin = chinese_forms(other, rng)
                else:
                    other_latin = cyrillic_forms(other, rng)
                pairs.append(Pair("translit_namesake", "Person", name, other_latin, 0, group))
    # Two Hanzi names that read the same in pinyin are still two names.
    chars_by_sound: dict[str, list[str]] = defaultdict(list)
    for name in by_script["chinese"] + by_script["japanese"]:
        for ch in name:
            if script_of(ch) == "CJK":
                sound = han.transliterate(ch).strip()
                if ch not in chars_by_sound[sound]:
                    chars_by_sound[sound].append(ch)
    for name in by_script["chinese"]:
        for i, ch in enumerate(name):
            homophones = [c for c in chars_by_sound.get(han.transliterate(ch).strip(), []) if c != ch]
            if homophones:
                other = name[:i] + rng.choice(homophones) + name[i + 1 :]
                pairs.append(Pair("hanzi_homophone", "Person", name, other, 0, "native:" + name))
                break
    return pairs


def main() -> None:
    rng = random.Random(SEED)
    names_dir = ROOT.parent / "shared" / "data" / "names"
    entries = load_all(ROOT / "data" / "watchlists")
    groups = Groups(entries)
    pairs = shared_pairs(names_dir, entries, groups)
    pairs += list_pairs(entries, groups, rng)
    pairs += generated(entries, groups, rng)
    pairs += script_pairs(names_dir, rng)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    seen: set[tuple[str, str, str]] = set()
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["split", "kind", "schema", "label", "left", "right", "group", "entry_id"])
        for p in pairs:
            if (p.left, p.right, p.schema) in seen:
                continue
            seen.add((p.left, p.right, p.schema))
            writer.writerow([split_of(p.group), p.kind, p.schema, p.label, p.left, p.right, p.group, p.entry_id])
    counts: dict[tuple[str, str, int], int] = defaultdict(int)
    for p in pairs:
        counts[(split_of(p.group), p.kind, p.label)] += 1
    for key in sorted(counts):
        print(*key, counts[key])
    print(f"{len(seen)} pairs written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
