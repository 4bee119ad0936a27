"""Benchmark: the Sekisho risk model against an XGBoost baseline on a time split, same data, same run.

Generates a fixed seeded set of declarations (100k rows by default), trains both models on the dates
before the split (the last 20 % of dates are the test period, importers first seen there included)
and prints Precision, Recall and Revenue at 1, 2, 5 and 10 % inspected, with the ratios; then the
audit-selection view (ranked by expected revenue) against XGBoost probability x CIF value.

    .venv/bin/python benchmarks/risk_model.py [--rows 100000] [--seeds 7]
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from enrichment.risk import columns as col
from enrichment.risk.evaluation import evaluate_split
from enrichment.risk.generator import generate_declarations
from enrichment.risk.model import TrainConfig
from sekisho.cli.commands.risk import print_evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    console = Console(width=160)
    summary = []
    for seed in args.seeds:
        started = time.perf_counter()
        frame = col.normalise_frame(generate_declarations(args.rows, seed=seed))
        console.print(f"seed {seed}: generated {len(frame):,} declarations in {time.perf_counter() - started:.1f}s")
        result = evaluate_split(frame, None, TrainConfig(seed=0, threads=args.threads))
        print_evaluation(result, console)
        summary.append((seed, result))
    console.print("\nsummary (ratio = Sekisho / XGBoost, goal >= 1.10 at 1 %):")
    for seed, result in summary:
        console.print(
            f"  seed {seed}: Precision@1% {result.model[0].precision:.3f} vs {result.baseline[0].precision:.3f} "
            f"= {result.ratio('precision', 1.0):.2f}x; Revenue@1% {result.model[0].revenue:.3f} vs "
            f"{result.baseline[0].revenue:.3f} = {result.ratio('revenue', 1.0):.2f}x"
        )
        if result.model_revenue_ranked and result.baseline_value_weighted:
            ours, base = result.model_revenue_ranked[0], result.baseline_value_weighted[0]
            console.print(
                f"          audit ranking by expected revenue: Revenue@1% {ours.revenue:.3f} vs XGBoost x CIF "
                f"{base.revenue:.3f} = {ours.revenue / max(base.revenue, 1e-9):.2f}x "
                f"(precision {ours.precision:.3f} vs {base.precision:.3f})"
            )


if __name__ == "__main__":
    main()
