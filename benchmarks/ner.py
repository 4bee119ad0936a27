"""NER benchmark: entity F1 (PER/ORG/LOC, exact span and type) and CPU throughput, against baselines.

Systems, all measured in this one run:
- ``gazetteer``: longest-match dictionary of the entity names in the same training data (baseline);
- ``spacy``: spaCy's OntoNotes-trained ``en_core_web_sm`` 3.8.0 (pinned package), OntoNotes types mapped
  onto PER/ORG/LOC/MISC (baseline for accuracy and speed);
- ``transformer-fp32``: the trained model, un-quantised (baseline for speed);
- ``transformer-int8``: the same model with dynamic int8 quantisation (the product default).

Data: WikiANN-en test, and ``enrichment/ner/data/newswire_eval.txt`` (newswire-style sentences the model
never saw in training). Throughput is sentences per second on WikiANN test sentences, best of
``--repeats`` interleaved rounds (the machine is shared, so rounds alternate between systems).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/ner.py [--model DIR] [--threads 1] [--limit N]
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

from enrichment.ner.corpus import Sentence, read_bracketed, read_wikiann, read_wnut17
from enrichment.ner.gazetteer import GazetteerRecognizer
from enrichment.ner.recognizer import TokenTagger, load_recognizer
from enrichment.ner.spacy_pipeline import SpacyRecognizer
from enrichment.ner.spans import Evaluation, evaluate_tags
from enrichment.stages import ner_model_path
from sekisho.settings import PROJECT_ROOT, get_settings

TYPES = ("PER", "ORG", "LOC")
NEWSWIRE = PROJECT_ROOT / "enrichment" / "ner" / "data" / "newswire_eval.txt"


def score(tagger: TokenTagger, sentences: Sequence[Sentence]) -> Evaluation:
    predicted = tagger.tag_tokens([s.tokens for s in sentences])
    return evaluate_tags([s.tags for s in sentences], predicted, TYPES)


def throughput(tagger: TokenTagger, sentences: Sequence[Sentence]) -> float:
    tokens = [s.tokens for s in sentences]
    started = time.perf_counter()
    tagger.tag_tokens(tokens)
    return len(tokens) / (time.perf_counter() - started)


def build_systems(model: Path, data: Path) -> dict[str, TokenTagger]:
    training = read_wikiann(data / "wikiann_en_train.txt") + read_wnut17(data / "wnut17_train.conll")
    return {
        "gazetteer (baseline)": GazetteerRecognizer.from_sentences((s.tokens, s.tags) for s in training),
        "spaCy en_core_web_sm (baseline)": SpacyRecognizer(),
        "transformer fp32 (baseline)": load_recognizer(model, quantized=False),
        "transformer int8": load_recognizer(model, quantized=True),
    }


_WORKER_SYSTEMS: dict[str, TokenTagger] = {}


def _worker_init(model: Path, data: Path) -> None:
    torch.set_num_threads(1)
    _WORKER_SYSTEMS.update(build_systems(model, data))


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
    parser.add_argument("--data", type=Path, default=settings.ner_data_dir)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="WikiANN test sentences (default: all)")
    parser.add_argument("--speed-sentences", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--speed-only", action="store_true", help="skip the accuracy tables")
    parser.add_argument("--processes", type=int, default=2, help="one-thread worker processes for the multi-core rate")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    test = read_wikiann(args.data / "wikiann_en_test.txt", limit=args.limit)
    newswire = read_bracketed(NEWSWIRE)
    systems = build_systems(args.model, args.data)
    manifest = json.loads((args.model / "metrics.json").read_text())
    print(f"model {args.model}  trained on {manifest.get('train_sentences')} sentences, "
          f"{manifest.get('steps')} steps in {manifest.get('train_seconds')} s")
    print(f"torch threads {args.threads}, cpu count {os.cpu_count()}, load average {os.getloadavg()}")

    print(f"\n### Entity F1, WikiANN-en test ({len(test)} sentences), types {'/'.join(TYPES)}\n")
    print("| system | P | R | F1 | " + " | ".join(f"F1 {k}" for k in TYPES) + " |")
    print("|---|---|---|---|" + "---|" * len(TYPES))
    results: dict[str, dict[str, object]] = {}
    for name, tagger in systems.items():
        if args.speed_only:
            break
        evaluation = score(tagger, test)
        results.setdefault(name, {})["wikiann_test"] = evaluation.as_dict()
        print(row(name, evaluation), flush=True)

    print(f"\n### Entity F1, newswire-style text not trained on ({len(newswire)} sentences)\n")
    print("| system | P | R | F1 | " + " | ".join(f"F1 {k}" for k in TYPES) + " |")
    print("|---|---|---|---|" + "---|" * len(TYPES))
    for name, tagger in systems.items():
        if args.speed_only:
            break
        evaluation = score(tagger, newswire)
        results[name]["newswire"] = evaluation.as_dict()
        print(row(name, evaluation), flush=True)

    speed_set = test[: args.speed_sentences]
    speeds: dict[str, float] = dict.fromkeys(systems, 0.0)
    for _ in range(args.repeats):
        for name, tagger in systems.items():
            speeds[name] = max(speeds[name], throughput(tagger, speed_set))
    parallel: dict[str, float] = dict.fromkeys(systems, 0.0)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=context, initializer=_worker_init,
                             initargs=(args.model, args.data)) as pool:
        list(pool.map(_worker_tag, list(systems) * args.processes, [[("Warm", "up")]] * len(systems) * args.processes))
        for _ in range(args.repeats):
            for name in systems:
                parallel[name] = max(parallel[name], parallel_throughput(pool, args.processes, name, speed_set))
    baseline = "spaCy en_core_web_sm (baseline)"
    print(f"\n### Throughput ({len(speed_set)} WikiANN sentences, best of {args.repeats} interleaved rounds)\n")
    print(f"| system | sentences/s, 1 process x {args.threads} thread(s) | vs spaCy | "
          f"sentences/s, {args.processes} one-thread processes | vs spaCy |")
    print("|---|---|---|---|---|")
    for name in systems:
        print(f"| {name} | {speeds[name]:,.0f} | {speeds[name] / speeds[baseline]:.2f}x "
              f"| {parallel[name]:,.0f} | {parallel[name] / parallel[baseline]:.2f}x |")
    print("\n" + json.dumps({"speeds": speeds, "parallel": parallel, "results": results}))


if __name__ == "__main__":
    main()
