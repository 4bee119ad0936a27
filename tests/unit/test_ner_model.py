"""NER end to end on a tiny model: train -> save -> load -> tag, the CoNLL contract, offsets, windows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from enrichment.ner.corpus import LABELS, read_wikiann
from enrichment.ner.inference import piece_sentences, plan_windows
from enrichment.ner.model import load_model, load_tokenizer, word_piece_counts
from enrichment.ner.recognizer import Recognizer, TokenTagger, TransformerRecognizer, load_recognizer
from enrichment.ner.record_tagging import free_text_fields, tag_record, tag_records
from enrichment.ner.training import TrainingConfig, distillation_loss, keep_encoder_layers, train
from schemas.records import Booking, Consignment, CrawledPage, GoodsItem, Mention, Passenger
from sekisho.cli import app
from sekisho.settings import get_settings

DATA = get_settings().ner_data_dir
pytestmark = pytest.mark.skipif(not (DATA / "wikiann_en_train.txt").is_file(), reason="NER corpora not present")
runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ner") / "model"
    result = runner.invoke(
        app,
        ["ner", "train", "--out", str(out), "--epochs", "1", "--max-sentences", "200", "--max-length", "32",
         "--dev-sentences", "20", "--test-sentences", "20", "--threads", "1", "--seed", "7"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def recognizer(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TransformerRecognizer:
    return load_recognizer(model_dir, threads=1, onnx_cache=tmp_path_factory.mktemp("onnx"))


def test_model_directory_holds_weights_label_map_and_metrics(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "ner.json").read_text())
    assert manifest["labels"] == list(LABELS)
    assert manifest["label_to_id"]["B-PER"] == LABELS.index("B-PER")
    assert manifest["max_length"] == 32
    assert manifest["training"]["seed"] == 7
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["train_sentences"] == 200
    assert set(metrics["test"]["overall"]) >= {"precision", "recall", "f1"}
    assert (model_dir / "tokenizer.json").is_file() and (model_dir / "config.json").is_file()


def test_training_is_reproducible(tmp_path: Path) -> None:
    def weights(out: Path) -> dict[str, object]:
        config = TrainingConfig(data_dir=DATA, out_dir=out, epochs=1, max_sentences=64, max_length=16,
                                dev_sentences=0, test_sentences=0, seed=3, use_wnut=False)
        train(config)
        return dict(load_file(str(out / "model.safetensors")))

    first, second = weights(tmp_path / "a"), weights(tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(bool((first[k] == second[k]).all()) for k in first)  # type: ignore[attr-defined]


def test_warm_start_continues_from_a_saved_model(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "continued"
    result = runner.invoke(
        app,
        ["ner", "train", "--init-from", str(model_dir), "--out", str(out), "--max-sentences", "32",
         "--max-length", "32", "--with-wikiann-dev", "--dev-sentences", "20", "--test-sentences", "0",
         "--encoder-learning-rate", "0", "--head-learning-rate", "0", "--threads", "1"],
    )
    assert result.exit_code == 0, result.output
    # With both learning rates at zero, continuing must leave the saved weights exactly as they were.
    before, after = load_file(str(model_dir / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert before.keys() == after.keys()
    assert all(bool((before[k] == after[k]).all()) for k in before)
    training = json.loads((out / "ner.json").read_text())["training"]
    assert training["init_from"] == str(model_dir) and training["use_wikiann_dev"] is True
    assert json.loads((out / "metrics.json").read_text())["train_sentences"] == 32


def test_student_keeps_chosen_layers_and_learns_from_a_teacher(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "student"
    result = runner.invoke(
        app,
        ["ner", "train", "--init-from", str(model_dir), "--distil-from", str(model_dir), "--keep-layers", "0,2,5",
         "--out", str(out), "--max-sentences", "32", "--max-length", "32", "--dev-sentences", "10",
         "--test-sentences", "0", "--threads", "1"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 3
    teacher, student = load_file(str(model_dir / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert not any(".layer.3." in name for name in student)
    assert student.keys() < teacher.keys()
    training = json.loads((out / "ner.json").read_text())["training"]
    assert training["keep_layers"] == [0, 2, 5] and training["distil_from"] == str(model_dir)
    tagged = load_recognizer(out, precision="fp32").tag_tokens([["Angela", "Merkel", "visited", "Paris", "."]])
    assert len(tagged[0]) == 5


def test_keep_layers_refuses_unknown_indices(model_dir: Path) -> None:
    model, _, _ = load_model(model_dir)
    with pytest.raises(ValueError, match="distinct indices"):
        keep_encoder_layers(model, (0, 6))
    with pytest.raises(ValueError, match="distinct indices"):
        keep_encoder_layers(model, (1, 1))
    keep_encoder_layers(model, (4, 1))
    assert len(model.encoder.encoder.layer) == 2 and model.encoder.config.num_hidden_layers == 2


def test_distillation_loss_is_zero_for_the_teacher_itself_and_skips_unlabelled_pieces() -> None:
    teacher = torch.randn(2, 5, len(LABELS))
    targets = torch.tensor([[-100, 0, 1, -100, -100], [-100, 2, -100, -100, -100]])
    assert float(distillation_loss(teacher.clone(), teacher, targets, 2.0)) == pytest.approx(0.0, abs=1e-6)
    student = teacher.clone()
    student[:, 3:] += 5.0 * torch.randn(2, 2, len(LABELS))  # only unlabelled pieces differ
    assert float(distillation_loss(student, teacher, targets, 2.0)) == pytest.approx(0.0, abs=1e-6)
    student[0, 1] = -teacher[0, 1]
    assert float(distillation_loss(student, teacher, targets, 2.0)) > 0.0


def test_loaded_tokenizer_neither_truncates_nor_pads(model_dir: Path) -> None:
    # Training saves its tokenizer with the truncation and padding of its last call; inference reads the
    # Rust tokenizer directly and must get every piece of a long sentence, unpadded.
    saved = json.loads((model_dir / "tokenizer.json").read_text())
    assert saved["truncation"] is not None and saved["padding"] is not None
    tokenizer = load_tokenizer(model_dir)
    assert tokenizer.backend_tokenizer.truncation is None and tokenizer.backend_tokenizer.padding is None
    long_sentence = ["Hamburg"] * 40 + ["Rotterdam"] * 40
    short, long = piece_sentences(tokenizer, [["Kiel"], long_sentence])
    assert len(short.ids) == 1 and tokenizer.unk_token_id not in long.ids
    assert len(long.ids) == sum(word_piece_counts(tokenizer, long_sentence))


def test_recognizer_satisfies_protocols(recognizer: TransformerRecognizer) -> None:
    assert isinstance(recognizer, Recognizer) and isinstance(recognizer, TokenTagger)


def test_conll_tag_contract(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.conll"
    lines = ["-DOCSTART- -X- -X- O", "", "Angela NNP B-PER", "Merkel NNP I-PER", "visited VBD O",
             "Paris NNP B-LOC", ". . O", "", "", "Siemens\tB-ORG", "rose\tO"]
    source.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["ner", "tag", "--conll", str(source), "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert [line.split("\t")[0] for line in out] == [
        "", "Angela", "Merkel", "visited", "Paris", ".", "", "", "Siemens", "rose",
    ]
    assert all(line.split("\t")[1] in LABELS for line in out if line)


def test_evaluate_prints_entity_scores(model_dir: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.txt"
    lines = (DATA / "wikiann_en_test.txt").read_text(encoding="utf-8").splitlines()[:400]
    gold.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["ner", "evaluate", str(gold), "--model", str(model_dir), "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0
    systems = json.loads(result.stdout)
    assert len(systems) == 2 and any(name.startswith("spacy") for name in systems)
    for scores in systems.values():
        assert scores["overall"]["gold"] > 20 and 0.0 <= scores["overall"]["f1"] <= 1.0
        assert set(scores["by_type"]) <= {"PER", "ORG", "LOC"}
    # The same gold entities are counted for both systems (same tokens, same run).
    assert len({scores["overall"]["gold"] for scores in systems.values()}) == 1


def test_evaluate_reads_inline_markup_and_prints_tables(model_dir: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.txt"
    gold.write_text("# comment\nShipped by [ORG Golden Dragon Trading Co Ltd] of [LOC Kowloon], [LOC Hong Kong].\n")
    result = runner.invoke(app, ["ner", "evaluate", str(gold), "--model", str(model_dir), "--no-spacy"])
    assert result.exit_code == 0, result.output
    assert "overall" in result.stdout and "gold.txt" in result.stdout and "spacy" not in result.stdout


def test_mentions_point_into_the_text(recognizer: TransformerRecognizer) -> None:
    texts = ["Angela Merkel met Emmanuel Macron in Berlin.", "", "John Smith works for Acme Corp in London."]
    results = recognizer.recognize(texts)
    assert len(results) == 3 and results[1] == []
    assert any(results[0] + results[2]), "a trained model should find some entity here"
    for text, mentions in zip(texts, results, strict=True):
        for mention in mentions:
            assert text[mention.start : mention.end] == mention.text
            assert mention.label in {"PER", "ORG", "LOC", "MISC"} and 0 < (mention.score or 0) <= 1


def test_long_text_is_tagged_in_windows(recognizer: TransformerRecognizer) -> None:
    sentence = ["The", "port", "of", "Rotterdam", "handled", "containers", "from", "Shanghai", "and", "Busan"]
    words = sentence * 12  # one 120-word "sentence": several windows of 30 pieces
    counts = word_piece_counts(recognizer.tagger.tokenizer, words)
    assert len(plan_windows(counts, recognizer.tagger.budget, recognizer.tagger.overlap)) > 3
    [tags] = recognizer.tag_tokens([words])
    assert len(tags) == len(words) and all(tag in LABELS for tag in tags)

    text = " ".join(words)
    [mentions] = recognizer.recognize([text])
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_tag_record_fills_mentions_per_field(recognizer: TransformerRecognizer) -> None:
    page = CrawledPage(id="p1", source_format="html", url="http://x", canonical_url="http://x", source_name="t",
                       title="Customs in Rotterdam", text="Police said John Smith of Acme Corp was arrested.",
                       mentions=[Mention(label="PER", text="old", start=0, end=3, field="text"),
                                 Mention(label="ORG", text="kept", start=0, end=4, field="seller")])
    tagged = tag_record(page, recognizer)
    assert tagged is not page and page.mentions[0].text == "old"
    assert all(m.field in {"title", "text", "seller"} for m in tagged.mentions)
    assert [m.text for m in tagged.mentions if m.field == "seller"] == ["kept"]
    assert "old" not in [m.text for m in tagged.mentions]
    for mention in tagged.mentions:
        if mention.field in ("title", "text"):
            source = page.title if mention.field == "title" else page.text
            assert source is not None and source[mention.start : mention.end] == mention.text
    assert tag_record(tagged, recognizer) == tagged  # idempotent


def test_free_text_fields_of_each_record_type() -> None:
    booking = Booking(id="b", source_format="pnrgov", record_locator="ABC123",
                      remarks=["PAX CONTACT JOHN SMITH", "  "])
    consignment = Consignment(id="c", source_format="xfwb", transport_document="176-12345675",
                              goods=[GoodsItem(description="Spare parts for Siemens turbines"), GoodsItem()])
    passenger = Passenger(id="x", source_format="paxlst", full_name="Jane Doe")
    assert free_text_fields(booking) == [("remarks[0]", "PAX CONTACT JOHN SMITH")]
    assert free_text_fields(consignment) == [("goods[0].description", "Spare parts for Siemens turbines")]
    assert free_text_fields(passenger) == []


def test_tag_records_batches_and_leaves_others_alone(recognizer: TransformerRecognizer) -> None:
    passenger = Passenger(id="x", source_format="paxlst", full_name="Jane Doe")
    consignment = Consignment(id="c", source_format="xfwb", transport_document="176-12345675",
                              goods=[GoodsItem(description="Machine parts made by Siemens in Germany")])
    out = tag_records([passenger, consignment], recognizer)
    assert out[0] is passenger
    assert all(m.field == "goods[0].description" for m in out[1].mentions)


def test_wikiann_reader_on_real_data() -> None:
    sentences = read_wikiann(DATA / "wikiann_en_test.txt", limit=50)
    assert len(sentences) == 50 and not any(t.startswith("en:") for s in sentences for t in s.tokens)


def test_packed_model_tags_like_the_full_one_at_a_fraction_of_the_size(model_dir: Path, tmp_path: Path) -> None:
    packed = tmp_path / "packed"
    result = runner.invoke(app, ["ner", "pack", "--model", str(model_dir), "--out", str(packed)])
    assert result.exit_code == 0, result.output
    assert not (packed / "model.safetensors").exists()
    assert (packed / "model.int8.safetensors").stat().st_size < (model_dir / "model.safetensors").stat().st_size / 5
    sentences = [s.tokens for s in read_wikiann(DATA / "wikiann_en_test.txt", limit=200)]
    full = load_recognizer(model_dir, threads=1, precision="fp32")
    small = load_recognizer(packed, threads=1, precision="fp32")
    expected, got = full.tag_tokens(sentences), small.tag_tokens(sentences)
    same = sum(a == b for row_a, row_b in zip(expected, got, strict=True) for a, b in zip(row_a, row_b, strict=True))
    # This barely trained model's label scores are close together, so rounding flips a few; on the
    # real model the packed and full forms score the same F1 (benchmarks/ner.py).
    assert same / sum(len(row) for row in expected) > 0.97


def test_packed_model_refuses_other_base_embeddings(model_dir: Path, tmp_path: Path) -> None:
    from safetensors import safe_open
    from safetensors.torch import save_file

    from enrichment.ner.model import PACKED_WEIGHTS_FILE, load_model, save_packed

    packed = tmp_path / "packed"
    summary = save_packed(model_dir, packed)
    assert len(summary["word_embeddings_sha256"]) == 64  # frozen in training: named, not stored
    path = packed / PACKED_WEIGHTS_FILE
    with safe_open(str(path), framework="pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        meta = dict(handle.metadata() or {})
    save_file(tensors, str(path), metadata={**meta, "word_embeddings_sha256": "0" * 64})
    with pytest.raises(ValueError, match="word embeddings differ"):
        load_model(packed)


def test_shipped_model_runs_when_none_was_trained(tmp_path: Path) -> None:
    from enrichment.ner.model import SHIPPED_MODEL
    from enrichment.stages import ner_model_path

    settings = get_settings().model_copy(update={"model_dir": tmp_path, "ner_model_dir": None})
    assert ner_model_path(settings) == SHIPPED_MODEL
    (tmp_path / "ner").mkdir()
    assert ner_model_path(settings) == tmp_path / "ner"
    shipped = load_recognizer(SHIPPED_MODEL, threads=1)
    found = shipped.recognize(["Angela Merkel met officials of Siemens in Berlin."])[0]
    assert {(m.label, m.text) for m in found} >= {("PER", "Angela Merkel"), ("ORG", "Siemens"), ("LOC", "Berlin")}


def test_spacy_baseline_maps_ontonotes_types() -> None:
    from enrichment.ner.spacy_pipeline import SpacyRecognizer

    spacy_ner = SpacyRecognizer()
    assert isinstance(spacy_ner, Recognizer) and isinstance(spacy_ner, TokenTagger)
    tokens = ["Angela", "Merkel", "visited", "Paris", "on", "Monday", "."]
    tags = spacy_ner.tag_tokens([tokens])[0]
    assert tags[:4] == ["B-PER", "I-PER", "O", "B-LOC"] and tags[5] == "O"  # DATE is not a product type
    text = "Angela Merkel visited Paris."
    assert all(text[m.start : m.end] == m.text for m in spacy_ner.recognize([text])[0])


def test_inference_feeds_the_model_what_training_fed_it() -> None:
    from enrichment.ner.inference import Window, piece_sentences
    from enrichment.ner.model import SHIPPED_MODEL, encode_words

    tagger = load_recognizer(SHIPPED_MODEL, threads=1, precision="fp32").tagger
    sentences = [["Angela", "Merkel", "visited", "U.S.", "plants", "of", "Siemens-Healthineers", "."],
                 ["KOMID", "denies"]]
    pieced = piece_sentences(tagger.tokenizer, sentences)
    for index, words in enumerate(sentences):
        ids, casing, firsts = tagger._window_inputs(sentences, pieced, Window(index, 0, len(words), 0))
        batch = encode_words(tagger.tokenizer, [words], tagger.max_length)
        assert ids == batch.input_ids[0].tolist()
        assert casing == batch.casing_ids[0].tolist()
        assert firsts == batch.first_pieces[0]
    # A word the tokenizer turns into nothing still gets a label (read from an [UNK] piece).
    [row] = tagger.tag([["Paris", "\u200b", "Texas"]])
    assert len(row) == 3


def test_every_precision_tags_like_fp32() -> None:
    from enrichment.ner.model import SHIPPED_MODEL

    sentences = [s.tokens for s in read_wikiann(DATA / "wikiann_en_test.txt", limit=150)]
    reference = load_recognizer(SHIPPED_MODEL, threads=1, precision="fp32").tag_tokens(sentences)
    total = sum(len(row) for row in reference)
    for precision in ("int8", "onnx-fp32", "bf16", "torch-int8"):
        recognizer = load_recognizer(SHIPPED_MODEL, threads=1, precision=precision)
        assert recognizer.name.endswith(precision)
        got = recognizer.tag_tokens(sentences)
        pairs = zip(reference, got, strict=True)
        same = sum(a == b for row_a, row_b in pairs for a, b in zip(row_a, row_b, strict=True))
        assert same / total > 0.97, precision
