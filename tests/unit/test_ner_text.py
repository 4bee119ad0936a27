"""NER pure logic: corpora, casing, word splitting, BIO spans, metrics, windows and decoding."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.ner.casing import LOWER, MIXED, NUMERIC, OTHER, TITLE, TITLE_SENTENCE_START, UPPER, word_casing
from enrichment.ner.corpus import (
    LABELS,
    format_tagged,
    map_tag,
    parse_annotated_text,
    parse_bracketed,
    read_annotated_text,
    read_bracketed,
    read_conll_tokens,
    read_documents,
    read_gold,
    read_wikiann,
    read_wnut17,
    repair_bio,
    split_documents,
)
from enrichment.ner.entity_rules import clean_entities
from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.inference import (
    allowed_starts,
    allowed_transitions,
    constrained_decode,
    owning_window,
    plan_windows,
)
from enrichment.ner.spans import TokenSpan, bio_spans, evaluate_tags, spans_to_bio
from enrichment.ner.words import split_sentences, split_words

NER_DATA = Path(__file__).resolve().parents[2] / "enrichment" / "ner" / "data"
NEWSWIRE = NER_DATA / "newswire_eval.txt"


def test_wikiann_tokens_lose_prefix_and_keep_tags(tmp_path: Path) -> None:
    path = tmp_path / "wikiann.txt"
    path.write_text("en:R.H.\tB-ORG\nen:Saunders\tI-ORG\nen:(\tO\n\nen:Karl\tB-PER\n\n")
    sentences = read_wikiann(path)
    assert [s.tokens for s in sentences] == [("R.H.", "Saunders", "("), ("Karl",)]
    assert sentences[0].tags == ("B-ORG", "I-ORG", "O")


def test_wnut_types_map_onto_newswire_labels(tmp_path: Path) -> None:
    path = tmp_path / "wnut.conll"
    path.write_text("Empire\tB-location\nState\tI-location\n=\tO\nESB\tB-corporation\n\t\niPhone\tB-product\n")
    sentences = read_wnut17(path)
    assert sentences[0].tags == ("B-LOC", "I-LOC", "O", "B-ORG")
    assert sentences[1].tags == ("B-MISC",)
    assert map_tag("B-creative-work", {"creative-work": "MISC"}) == "B-MISC"
    assert map_tag("B-unknown", {}) == "O"


def test_label_map_is_bio_over_four_types() -> None:
    assert LABELS[0] == "O"
    assert set(LABELS) == {"O"} | {f"{p}-{t}" for p in "BI" for t in ("PER", "ORG", "LOC", "MISC")}


def test_repair_bio_opens_stray_inside_tags() -> None:
    assert repair_bio(["I-PER", "I-PER", "O", "I-LOC", "B-ORG", "I-LOC"]) == (
        "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-LOC",
    )


def test_conll_shape_keeps_blank_lines_and_drops_docstart() -> None:
    lines = ["-DOCSTART- -X- O O", "", "EU NNP B-ORG", "rejects VBZ O", "", "", "Peter\tB-PER", "Blackburn"]
    shape = read_conll_tokens(lines)
    assert shape == [None, ["EU", "rejects"], None, None, ["Peter", "Blackburn"]]
    tags = [["B-ORG", "O"], ["B-PER", "I-PER"]]
    assert list(format_tagged(shape, tags)) == [
        "", "EU\tB-ORG", "rejects\tO", "", "", "Peter\tB-PER", "Blackburn\tI-PER",
    ]


def test_casing_classes() -> None:
    assert word_casing("london") == LOWER
    assert word_casing("London") == TITLE
    assert word_casing("London", sentence_start=True) == TITLE_SENTENCE_START
    assert word_casing("NATO") == UPPER
    assert word_casing("iPhone") == MIXED
    assert word_casing("G7") == MIXED
    assert word_casing("1,000") == NUMERIC
    assert word_casing("(") == OTHER
    assert word_casing("東京") == OTHER


def test_split_words_follows_conll_conventions() -> None:
    text = "Mr. Smith's firm, Acme Ltd., moved to the U.S. in 2020 (reportedly)."
    assert [w.text for w in split_words(text)] == [
        "Mr.", "Smith", "'s", "firm", ",", "Acme", "Ltd", ".", ",", "moved", "to", "the", "U.S.", "in",
        "2020", "(", "reportedly", ")", ".",
    ]
    # A short capitalised word before a full stop is not a title: the stop ends the sentence.
    assert [w.text for w in split_words("imports from East Asia. Used pump. Dr. Who")][3:] == [
        "Asia", ".", "Used", "pump", ".", "Dr.", "Who"]


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_split_words_offsets_point_into_text(text: str) -> None:
    words = split_words(text)
    for word in words:
        assert text[word.start : word.end] == word.text
        assert word.text.strip() == word.text and word.text
    assert all(a.end <= b.start for a, b in itertools.pairwise(words))
    assert sum(len(s) for s in split_sentences(text)) == len(words)


def test_split_sentences() -> None:
    text = "Police arrested two men. They were charged.\n\nA new paragraph starts here"
    sentences = split_sentences(text)
    assert [next(w.text for w in s) for s in sentences] == ["Police", "They", "A"]


tag_lists = st.lists(st.sampled_from(LABELS), max_size=30)


@given(tag_lists)
def test_bio_spans_round_trip(tags: list[str]) -> None:
    spans = bio_spans(tags)
    assert bio_spans(spans_to_bio(len(tags), spans)) == spans
    assert list(repair_bio(tags)) == spans_to_bio(len(tags), spans)


def test_entity_metrics_need_exact_span_and_type() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predicted = [["B-PER", "O", "O", "B-LOC"], ["B-LOC", "O"]]
    evaluation = evaluate_tags(gold, predicted)
    assert evaluation.overall.true_positives == 1
    assert (evaluation.overall.predicted, evaluation.overall.gold) == (3, 3)
    assert evaluation.by_type["LOC"].precision == 0.5
    assert evaluate_tags(gold, gold, ["PER"]).overall.f1 == 1.0
    assert evaluate_tags(gold, predicted, ["ORG"]).overall.recall == 0.0


@given(st.lists(st.integers(1, 12), max_size=80), st.integers(4, 40))
@settings(max_examples=200, deadline=None)
def test_windows_cover_every_word_within_budget(counts: list[int], budget: int) -> None:
    windows = plan_windows(counts, budget, budget // 4)
    covered = [False] * len(counts)
    for start, end in windows:
        assert start < end
        assert end - start == 1 or sum(counts[start:end]) <= budget
        for word in range(start, end):
            covered[word] = True
    assert all(covered)
    assert [s for s, _ in windows] == sorted({s for s, _ in windows})
    for word in range(len(counts)):
        start, end = windows[owning_window(word, windows, len(counts))]
        assert start <= word < end


def test_owning_window_prefers_context_on_both_sides() -> None:
    windows = plan_windows([1] * 20, 8, 4)
    assert len(windows) > 2
    start, end = windows[owning_window(6, windows, 20)]
    assert start < 6 < end - 1


@given(st.lists(st.lists(st.floats(-20, 0), min_size=len(LABELS), max_size=len(LABELS)), max_size=15))
@settings(max_examples=40, deadline=None)
def test_constrained_decode_yields_valid_bio(rows: list[list[float]]) -> None:
    log_probs = torch.tensor(rows, dtype=torch.float32).reshape(len(rows), len(LABELS))
    path = constrained_decode(log_probs, allowed_transitions(LABELS), allowed_starts(LABELS))
    tags = [LABELS[i] for i in path]
    assert list(repair_bio(tags)) == tags


def test_newswire_evaluation_set_parses() -> None:
    sentences = read_bracketed(NEWSWIRE)
    assert len(sentences) >= 90
    labels = {span.label for s in sentences for span in bio_spans(s.tags)}
    assert labels == {"PER", "ORG", "LOC", "MISC"}
    assert parse_bracketed("[PER Ada Lovelace] met [ORG IBM] .").tags == ("B-PER", "I-PER", "O", "B-ORG", "O")


def test_gazetteer_tags_longest_known_name() -> None:
    gazetteer = GazetteerRecognizer.from_sentences(
        [(("New", "York"), ("B-LOC", "I-LOC")), (("New", "York", "Times"), ("B-ORG", "I-ORG", "I-ORG"))]
    )
    assert gazetteer.tag_tokens([["the", "New", "York", "Times", "in", "New", "York"]]) == [
        ["O", "B-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "I-LOC"]
    ]
    text = "Reporters of the New York Times."
    [mention] = gazetteer.recognize([text])[0]
    assert (mention.label, text[mention.start : mention.end]) == ("ORG", "New York Times")
    assert TokenSpan(0, 1, "PER") < TokenSpan(1, 2, "PER")


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    from enrichment.ner.training import learning_rate_factor

    assert learning_rate_factor(0.0, 0.1) == 0.01
    assert learning_rate_factor(0.05, 0.1) == 0.5
    assert learning_rate_factor(0.1, 0.1) == 1.0
    assert abs(learning_rate_factor(0.55, 0.1) - 0.5) < 1e-9
    assert learning_rate_factor(1.0, 0.1) == 0.0


def test_conll2003_documents_split_whole_documents(tmp_path: Path) -> None:
    lines = ["-DOCSTART- -X- -X- O", "", "Customs NNP B-NP B-ORG", "seize VBZ B-VP O", "", "Maria NNP B-NP B-PER",
             "", "-DOCSTART- -X- -X- O", "", "OSAKA NNP B-NP B-LOC", "", "-DOCSTART- -X- -X- O", "",
             "Germany NNP B-NP I-LOC", "", "-DOCSTART- -X- -X- O", "", "Bonn NNP B-NP B-LOC"]
    path = tmp_path / "valid.txt"
    path.write_text("\n".join(lines) + "\n")
    documents = read_documents(path)
    assert [len(document) for document in documents] == [2, 1, 1, 1]
    assert documents[0][0].tags == ("B-ORG", "O") and documents[2][0].tags == ("B-LOC",)  # IOB1 repaired
    selection, held_out = split_documents(documents)
    assert [s.tokens for s in selection] == [("Customs", "seize"), ("Maria",), ("OSAKA",)]
    assert [s.tokens for s in held_out] == [("Germany",), ("Bonn",)]


def test_inline_markup_is_split_like_product_text() -> None:
    sentence = parse_annotated_text("The [ORG U.S. Treasury]'s list names [ORG KOMID] ([LOC Pyongyang]).")
    assert sentence.tokens == ("The", "U.S.", "Treasury", "'s", "list", "names", "KOMID", "(", "Pyongyang", ")", ".")
    assert sentence.tags == ("O", "B-ORG", "I-ORG", "O", "O", "O", "B-ORG", "O", "B-LOC", "O", "O")
    with pytest.raises(ValueError, match="word boundaries"):
        parse_annotated_text("a [LOC Hong Kong]-based forwarder")
    with pytest.raises(ValueError, match="unclosed"):
        parse_annotated_text("shipped by [ORG Golden Dragon")


def test_customs_sets_parse_and_gold_files_of_both_formats_read(tmp_path: Path) -> None:
    for name in ("dev.txt", "test.txt"):
        sentences = read_annotated_text(NER_DATA / "customs" / name)
        assert len(sentences) > 40
        labels = {span.label for s in sentences for span in bio_spans(s.tags)}
        assert {"PER", "ORG", "LOC"} <= labels
    conll = tmp_path / "gold.conll"
    conll.write_text("Siemens\tB-ORG\nrose\tO\n")
    assert read_gold(conll)[0].tags == ("B-ORG", "O")
    assert read_gold(NER_DATA / "customs" / "dev.txt") == read_annotated_text(NER_DATA / "customs" / "dev.txt")


def test_entity_rules_trim_punctuation_and_drop_lowercase_phrases() -> None:
    words = ["imports", "from", "East", "Asia", "."]
    assert clean_entities(words, ["O", "O", "B-LOC", "I-LOC", "I-LOC"]) == ["O", "O", "B-LOC", "I-LOC", "O"]
    words = ["Used", "hydraulic", "pump", ",", "Maschinen", "Koch"]
    labels = ["O", "B-ORG", "I-ORG", "O", "B-ORG", "I-ORG"]
    assert clean_entities(words, labels) == ["O", "O", "O", "O", "B-ORG", "I-ORG"]
    assert clean_entities(["(", ")"], ["B-ORG", "I-ORG"]) == ["O", "O"]
    words = ["PAX", "VOLKOV", "PAID", "TKT", "for", "The", "Hague", "Lloyd", "'s", "LATHES", "FOR"]
    labels = ["B-ORG", "I-ORG", "O", "B-ORG", "O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-ORG", "I-ORG"]
    assert clean_entities(words, labels) == [
        "O", "B-ORG", "O", "O", "O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-ORG", "O"]
    assert clean_entities(["Pax", "Christi"], ["B-ORG", "I-ORG"]) == ["B-ORG", "I-ORG"]  # capitals only
    # In all-lower-case text case carries no signal, so lower-case entities stay.
    assert clean_entities(["flights", "to", "tokyo"], ["O", "O", "B-LOC"]) == ["O", "O", "B-LOC"]


@given(st.lists(st.sampled_from(LABELS), max_size=12), st.lists(st.sampled_from(["Port", "of", ".", "ACME", "x"]),
                                                              min_size=12, max_size=12))
@settings(max_examples=200, deadline=None)
def test_entity_rules_only_remove(labels: list[str], pool: list[str]) -> None:
    words = pool[: len(labels)]
    cleaned = clean_entities(words, labels)
    assert list(repair_bio(cleaned)) == cleaned
    assert {(s.start, s.end) for s in bio_spans(cleaned)} <= {
        (a, b) for s in bio_spans(labels) for a in range(s.start, s.end) for b in range(a + 1, s.end + 1)
    }
