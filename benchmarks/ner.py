"""NER benchmark: entity F1 (PER/ORG/LOC, exact span and type) and CPU throughput, against baselines.

Systems, all measured in this one run:
- ``gazetteer``: longest-match dictionary of the entity names in the training data (baseline);
- ``spaCy en_core_web_sm``: spaCy's OntoNotes-trained small English pipeline 3.8.0 (pinned package),
  OntoNotes types mapped onto PER/ORG/LOC/MISC (baseline for accuracy and speed);
- ``transformer fp32``: the torch model with float32 arithmetic (baseline for the faster forms);
- ``transformer int8 (ONNX Runtime)``: the product default, the model's ONNX graph with int8 weights
  and activations (``enrichment/ner/onnx_export.py``);
- ``transformer bf16``: the torch model in bfloat16 (the previous default on CPUs with AMX);
- ``transformer torch-int8``: torch's dynamic int8 quantisation (accuracy tables only);
- ``transformer int8, no entity rules``: the default without post-processing (accuracy tables only);
- ``transformer int8 (ONNX Runtime), --compare-model``: with ``--compare-model DIR``, another model
  directory (such as the previously shipped model) run the default way, for a same-run comparison.

Data:
- held-out newswire: the second half of the CoNLL-2003 ``valid.txt`` documents (``--newswire DIR``,
  kept outside the repository). The first half chose the model; CoNLL-2003 ``test.txt`` is never read.
- customs-domain sets ``enrichment/ner/data/customs``: ``dev.txt`` (post-processing was designed on it)
  and ``test.txt`` (never used for a choice).
- ``enrichment/ner/data/newswire_eval.txt``: 99 newswire-style sentences written for this project.

Throughput: sentences per second on held-out newswire sentences, best of ``--repeats`` interleaved
rounds (the machine is shared), in one process with ``--threads`` threads and in ``--processes``
one-thread worker processes sharing the sentences (one per core, as the stream runs NER). Each ONNX
Runtime session uses one intra-op thread.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ner.py --newswire /path/to/conll2003 [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

from enrichment.ner.corpus import Sentence, read_annotated_text, read_bracketed, read_documents, split_documents
from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.recognizer import TokenTagger, load_recognizer
from enrichment.ner.spacy_pipeline import SpacyRecognizer
from enrichment.ner.spans import Evaluation, evaluate_tags
from enrichment.stages import ner_model_path, ner_onnx_cache
from sekisho.settings import PROJECT_ROOT, get_settings

TYPES = ("PER", "ORG", "LOC")
NER_DATA = PROJECT_ROOT / "enrichment" / "ner" / "data"
SPACY = "spaCy en_core_web_sm (baseline)"
FP32 = "transformer fp32 (baseline)"
INT8 = "transformer int8 (ONNX Runtime, default)"
SPEED_SYSTEMS = (SPACY, FP32, "transformer bf16", INT8)
# ``--compare-model DIR``: another model directory (e.g. the previously shipped one) run int8 in the same run.
COMPARED = "transformer int8 (ONNX Runtime), --compare-model"


def score(tagger: TokenTagger, sentences: Sequence[Sentence]) -> Evaluation:
    predicted = tagger.tag_tokens([s.tokens for s in sentences])
    return evaluate_tags([s.tags for s in sentences], predicted, TYPES)


def throughput(tagger: TokenTagger, sentences: Sequence[Sentence]) -> float:
    tokens = [s.tokens for s in sentences]
    started = time.perf_counter()
    tagger.tag_tokens(tokens)
    return len(tokens) / (time.perf_counter() - started)


def build_systems(model: Path, training: Sequence[Sentence], cache: Path, speed_only: bool,
                  compared: Path | None = None) -> dict[str, TokenTagger]:
    systems: dict[str, TokenTagger] = {}
    if training:
        systems["gazetteer (baseline)"] = GazetteerRecognizer.from_sentences((s.tokens, s.tags) for s in training)
    systems[SPACY] = SpacyRecognizer()
    systems[FP32] = load_recognizer(model, precision="fp32")
    systems["transformer bf16"] = load_recognizer(model, precision="bf16")
    systems[INT8] = load_recognizer(model, precision="int8", onnx_cache=cache)
    if compared is not None:
        systems[COMPARED] = load_recognizer(compared, precision="int8", onnx_cache=cache)
    if not speed_only:
        systems["transformer torch-int8"] = load_recognizer(model, precision="torch-int8")
        systems["transformer int8, no entity rules"] = load_recognizer(model, precision="int8", onnx_cache=cache,
                                                                       entity_rules=False)
    return systems


_WORKER_SYSTEMS: dict[str, TokenTagger] = {}


def _worker_init(model: Path, cache: Path, compared: Path | None) -> None:
    torch.set_num_threads(1)
    systems = build_systems(model, [], cache, speed_only=True, compared=compared)
    _WORKER_SYSTEMS.update({name: systems[name] for name in speed_systems(compared)})


def speed_systems(compared: Path | None) -> tuple[str, ...]:
    return (*SPEED_SYSTEMS, COMPARED) if compared is not None else SPEED_SYSTEMS


def _worker_tag(name: str, sentences: list[tuple[str, ...]]) -> int:
    _WORKER_SYSTEMS[name].tag_tokens(sentences)
    return len(sentences)


def parallel_throughput(pool: ProcessPoolExecutor, workers: int, name: str, sentences: Sequence[Sentence]) -> float:
    """Sentences/s with ``workers`` one-thread processes sharing the sentences (one per core)."""
    tokens = [s.tokens for s in sentences]
    chunks = [tokens[i::workers] for i in range(workers)]
    started = time.perf_counter()
    done = sum(pool.map(_worker_tag, [name] * workers, chunks))
    return done / (time.perf_counter() - started)


def row(name: str, evaluation: Evaluation) -> str:
    kinds = " | ".join(
        f"{evaluation.by_type[k].f1:.3f}" if k in evaluation.by_type else "-" for k in TYPES
    )
    o = evaluation.overall
    return f"| {name} | {o.precision:.3f} | {o.recall:.3f} | **{o.f1:.3f}** | {kinds} |"


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ner_model_path(settings))
    parser.add_argument("--newswire", type=Path, default=None,
                        help="folder with CoNLL-2003 train.txt and valid.txt (held-out part and gazetteer)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--speed-sentences", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--speed-only", action="store_true", help="skip the accuracy tables")
    parser.add_argument("--accuracy-only", action="store_true", help="skip the throughput tables")
    parser.add_argument("--processes", type=int, default=2, help="one-thread worker processes for the multi-core rate")
    parser.add_argument("--compare-model", type=Path, default=None,
                        help="another model directory (e.g. the previous shipped model) run int8 in the same run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    sets: dict[str, list[Sentence]] = {}
    training: list[Sentence] = []
    if args.newswire is not None:
        _, held_out = split_documents(read_documents(args.newswire / "valid.txt"))
        sets["held-out newswire (CoNLL-2003 valid, second half of documents)"] = held_out
        training = [s for document in read_documents(args.newswire / "train.txt") for s in document]
    sets["customs-domain test (enrichment/ner/data/customs/test.txt)"] = read_annotated_text(
        NER_DATA / "customs" / "test.txt")
    sets["customs-domain dev (enrichment/ner/data/customs/dev.txt)"] = read_annotated_text(
        NER_DATA / "customs" / "dev.txt")
    sets["newswire-style sentences (enrichment/ner/data/newswire_eval.txt)"] = read_bracketed(
        NER_DATA / "newswire_eval.txt")
    cache = ner_onnx_cache(settings)
    systems = build_systems(args.model, training, cache, args.speed_only, args.compare_model)
    timed = speed_systems(args.compare_model)
    metrics = json.loads((args.model / "metrics.json").read_text())
    layers = json.loads((args.model / "config.json").read_text()).get("num_hidden_layers")
    print(f"model {args.model} ({layers} encoder layers)  trained on {metrics.get('train_sentences')} sentences, "
          f"{metrics.get('steps')} steps in {metrics.get('train_seconds')} s")
    if args.compare_model is not None:
        compared_layers = json.loads((args.compare_model / "config.json").read_text()).get("num_hidden_layers")
        print(f"compared model {args.compare_model} ({compared_layers} encoder layers)")
    print(f"torch threads {args.threads}, cpu count {os.cpu_count()}, load average {os.getloadavg()}")

    results: dict[str, dict[str, object]] = {}
    for title, sentences in sets.items():
        if args.speed_only:
            break
        print(f"\n### Entity F1, {title}: {len(sentences)} sentences, types {'/'.join(TYPES)}\n")
        print("| system | P | R | F1 | " + " | ".join(f"F1 {k}" for k in TYPES) + " |")
        print("|---|---|---|---|" + "---|" * len(TYPES))
        for name, tagger in systems.items():
            evaluation = score(tagger, sentences)
            results.setdefault(name, {})[title] = evaluation.as_dict()
            print(row(name, evaluation), flush=True)

    if args.accuracy_only:
        print("\n" + json.dumps({"results": results}))
        return
    speed_source = next(iter(sets.values()))
    speed_set = speed_source[: args.speed_sentences]
    words = sum(len(s.tokens) for s in speed_set)
    speeds: dict[str, float] = dict.fromkeys(timed, 0.0)
    for _ in range(args.repeats):
        for name in timed:
            speeds[name] = max(speeds[name], throughput(systems[name], speed_set))
    parallel: dict[str, float] = dict.fromkeys(timed, 0.0)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=context, initializer=_worker_init,
                             initargs=(args.model, cache, args.compare_model)) as pool:
        warm_up = [[("Warm", "up")]] * len(timed) * args.processes
        list(pool.map(_worker_tag, list(timed) * args.processes, warm_up))
        for _ in range(args.repeats):
            for name in timed:
                parallel[name] = max(parallel[name], parallel_throughput(pool, args.processes, name, speed_set))
    print(f"\n### Throughput ({len(speed_set)} sentences of {next(iter(sets))}, {words / len(speed_set):.1f} "
          f"words each on average; best of {args.repeats} interleaved rounds)\n")
    print(f"| system | sentences/s, 1 process x {args.threads} thread(s) | vs spaCy | "
          f"sentences/s, {args.processes} one-thread processes | vs spaCy |")
    print("|---|---|---|---|---|")
    for name in timed:
        print(f"| {name} | {speeds[name]:,.0f} | {speeds[name] / speeds[SPACY]:.2f}x "
              f"| {parallel[name]:,.0f} | {parallel[name] / parallel[SPACY]:.2f}x |")
    print(f"\nload average at the end {os.getloadavg()}")
    print("\n" + json.dumps({"speeds": speeds, "parallel": parallel, "results": results}))


if __name__ == "__main__":
    main()
