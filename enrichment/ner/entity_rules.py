"""Entity post-processing: rules that remove what a named entity cannot be, whatever the model says.

Applied to each tagged sentence after decoding (``TransformerRecognizer``), so ``sekisho ner tag``,
``evaluate`` and the stream all see the same entities. Designed and measured on the customs
development set (``enrichment/ner/data/customs/dev.txt``; figures in BENCHMARKS.md), never on its test set.

1. An entity never starts or ends with punctuation (``East Asia .``). A possessive ``'s`` is kept:
   in names such as ``Lloyd 's`` or ``Moody 's`` it belongs to the name (CoNLL-2003 dev: trimming it
   lost more entities than it fixed).
2. An entity never ends with a function word (``LATHES FOR``): names end on a content word (they may
   start with one: ``The Hague``).
3. Abbreviations of the trade (PNR and ticketing codes, cargo and customs shorthand, Incoterms) are
   not names: they are trimmed from an entity's edges (``PAX VOLKOV`` -> ``VOLKOV``), and an entity
   made only of them is dropped (``TKT``, ``CNEE IMMED``).
4. An entity with no capital letter is a common noun phrase (``hydraulic pump``), unless the whole text
   is lower case (where case says nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

from enrichment.ner.spans import TokenSpan, bio_spans, spans_to_bio

FUNCTION_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"})
# Shorthand that fills PNR remarks, SSR/OSI lines, air and sea cargo messages and trade documents
# (IATA reservations and ticketing codes, Cargo-IMP/ULD shorthand, Incoterms 2020, units). Written
# in capitals they look like acronyms of organisations to a newswire-trained model. Only words in
# capitals match; abbreviations that are also well-known names (ETA) are left out.
TRADE_ABBREVIATIONS = frozenset({
    # reservations, ticketing and PNR remarks
    "ADV", "ADVS", "AUTH", "CHD", "CHLD", "CKIN", "CNL", "CTC", "CTCB", "CTCE", "CTCH", "CTCM", "CTCR", "CTCT",
    "CXL", "DOCA", "DOCO", "DOCS", "EXBG", "FOID", "FQTV", "INF", "INFT", "MAAS", "NBR", "NRSP", "OSI", "OTHS",
    "PAX", "PNR", "PSGR", "PSGRS", "PSPT", "RMK", "RMKS", "RQST", "SSR", "TKNE", "TKT", "TKTL", "TKTS", "TVL",
    "UMNR", "WCHC", "WCHR", "WCHS", "XBAG",
    # cargo, forwarding and customs shorthand
    "AWB", "CBM", "CNEE", "CNEES", "CNC", "CTN", "CTNS", "DGR", "FCL", "HAWB", "IMMED", "KGS", "LCL",
    "MAWB", "NTFY", "PCS", "PKGS", "POD", "POL", "SHPR", "SLAC", "STC", "ULD", "VOL", "WGHT", "OEM", "AAA",
    # Incoterms 2020
    "CFR", "CIF", "CIP", "CPT", "DAP", "DDP", "DPU", "EXW", "FAS", "FCA", "FOB",
})


def clean_entities(words: Sequence[str], labels: Sequence[str]) -> list[str]:
    """``labels`` (BIO) with the rules above applied; a dropped entity's words become ``O``."""
    spans = bio_spans(labels)
    if not spans:
        return list(labels)
    text_has_capitals = any(char.isupper() for word in words for char in word)
    kept: list[TokenSpan] = []
    for span in spans:
        start, end = span.start, span.end
        while start < end and _is_edge_noise(words[start]):
            start += 1
        while end > start and (_is_edge_noise(words[end - 1]) or words[end - 1].lower() in FUNCTION_WORDS):
            end -= 1
        if start == end:
            continue
        if text_has_capitals and not any(char.isupper() for word in words[start:end] for char in word):
            continue
        kept.append(TokenSpan(start, end, span.label))
    return spans_to_bio(len(words), kept)


def _is_edge_noise(word: str) -> bool:
    """Punctuation or a trade abbreviation: never the first or last word of a name."""
    if not any(char.isalnum() for char in word):
        return True
    return word.isupper() and word in TRADE_ABBREVIATIONS
