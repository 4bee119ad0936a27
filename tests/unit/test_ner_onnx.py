"""The ONNX Runtime path of the NER model: export, cache, load, and agreement with the torch model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from enrichment.ner.inference import TorchScorer
from enrichment.ner.model import SHIPPED_MODEL, load_model
from enrichment.ner.onnx_export import cached_onnx, weights_digest
from enrichment.ner.onnx_scorer import OnnxScorer
from enrichment.ner.recognizer import load_recognizer

SENTENCES = [
    ["Angela", "Merkel", "met", "officials", "of", "Siemens", "in", "Berlin", "."],
    ["The", "consignment", "left", "Shanghai", "for", "Rotterdam", "on", "a", "Maersk", "vessel", "."],
    ["PAX", "IVAN", "PETROV", "BOOKED", "VIA", "ISTANBUL"],
    ["Hydraulic", "pumps", "and", "spare", "parts"],
]
TEXT = "Angela Merkel met officials of Siemens in Berlin. The cargo left Shanghai for Rotterdam."


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_graph_is_built_once_and_named_by_the_weights(cache: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from enrichment.ner import onnx_export

    graph = cached_onnx(SHIPPED_MODEL, cache, "int8")

    def build_again(*_: object) -> None:
        raise AssertionError("the cached graph was built again")

    monkeypatch.setattr(onnx_export, "build_onnx", build_again)
    assert cached_onnx(SHIPPED_MODEL, cache, "int8") == graph
    assert weights_digest(SHIPPED_MODEL)[:20] in graph.name
    assert not [path for path in cache.iterdir() if path.name.endswith(".partial")]
    # Another model directory (here: other label names) gets another graph, never the cached one.
    other = tmp_path / "model"
    other.mkdir()
    for path in SHIPPED_MODEL.iterdir():
        (other / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((SHIPPED_MODEL / "ner.json").read_text())
    manifest["training"]["seed"] += 1
    (other / "ner.json").write_text(json.dumps(manifest))
    assert weights_digest(other) != weights_digest(SHIPPED_MODEL)


def test_cache_keeps_the_most_recently_used_graphs(tmp_path: Path) -> None:
    from enrichment.ner.onnx_export import prune

    for age, name in enumerate(["ner-a-int8.onnx", "ner-b-int8.onnx", "ner-c-int8.onnx"]):
        (tmp_path / name).write_bytes(b"graph")
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "other.txt").write_text("not a graph")
    prune(tmp_path, 2)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ner-a-int8.onnx", "ner-b-int8.onnx", "other.txt"]


def test_float_graph_scores_like_the_torch_model(cache: Path) -> None:
    recognizer = load_recognizer(SHIPPED_MODEL, precision="fp32")
    tokenizer = recognizer.tagger.tokenizer
    batch = tokenizer(SENTENCES, is_split_into_words=True, padding=True, return_tensors="np")
    casing = np.where(batch["attention_mask"] == 1, 1, 0).astype(np.int64)
    inputs = (batch["input_ids"].astype(np.int64), batch["attention_mask"].astype(np.int64), casing)
    model, _, _ = load_model(SHIPPED_MODEL)
    expected = TorchScorer(model)(*inputs)
    got = OnnxScorer(cached_onnx(SHIPPED_MODEL, cache, "fp32"))(*inputs)
    assert got.shape == expected.shape
    real = batch["attention_mask"] == 1  # padded positions are never read
    assert np.abs(got[real] - expected[real]).max() < 1e-3


def test_int8_graph_finds_the_entities_the_torch_model_finds(cache: Path) -> None:
    reference = load_recognizer(SHIPPED_MODEL, precision="fp32")
    fast = load_recognizer(SHIPPED_MODEL, onnx_cache=cache)
    assert fast.name.endswith("int8")  # the default
    assert fast.tag_tokens(SENTENCES) == reference.tag_tokens(SENTENCES)
    expected = {(m.label, m.text, m.start, m.end) for m in reference.recognize([TEXT])[0]}
    found = fast.recognize([TEXT])[0]
    assert {(m.label, m.text, m.start, m.end) for m in found} == expected
    assert {("PER", "Angela Merkel"), ("ORG", "Siemens"), ("LOC", "Berlin")} <= {(m.label, m.text) for m in found}
    for mention, same in zip(sorted(found, key=lambda m: m.start),
                             sorted(reference.recognize([TEXT])[0], key=lambda m: m.start), strict=True):
        assert mention.score is not None and same.score is not None
        assert abs(mention.score - same.score) < 0.05


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown precision"):
        load_recognizer(SHIPPED_MODEL, precision="int4")  # type: ignore[arg-type]


def test_export_command_builds_the_graph_into_the_settings_cache(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from sekisho.cli import app
    from sekisho.settings import get_settings

    monkeypatch.setenv("SEKISHO_HOME", str(tmp_path))
    monkeypatch.setenv("SEKISHO_NER_MODEL_DIR", str(SHIPPED_MODEL))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ner", "export", "--form", "fp32"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    built = Path(result.stdout.strip().splitlines()[-1])
    assert built.parent == tmp_path / "cache" / "ner-onnx" and built.name.endswith("-fp32.onnx")
    assert OnnxScorer(built).session.get_outputs()[0].name == "log_probs"
