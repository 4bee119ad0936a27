"""What entity resolution costs the stream, against the ingest stages in the same run (not a test).

Over the records of a generated world (rendered to PAXLST, PNRGOV, FWB/FFM, XFWB, ENS and WCO, parsed
by the feed parsers), one round times

  ingest      parse → enrich (identifiers, NER, screening, risk) → validate, in batches, as the
              ingest job's workers run them (without the Elasticsearch write, so the ratio is an upper
              bound of resolution's share);
  resolution  ``Resolver.add`` on each batch of valid records, keeping state across batches as the
              stream does, on a cold name cache (the targeting worker runs in its own process and
              does not share the screening stage's prepared names).

It prints records/s with and without resolution and the cost ``1 - with / without`` (best of the rounds).

    .venv/bin/python benchmarks/resolution_cost.py [--travellers 1000] [--consignments 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from enrichment.screening import prepare_name
from enrichment.screening.matcher import clear_similarity_cache
from feeds import MessageContext, parse_message
from pipeline.batch import process_batch
from pipeline.chain import build_chain
from pipeline.validation import BatchValidator
from resolution.clusters import Resolver
from scenario import build_world, render, spec_for
from schemas.records import Record
from sekisho.settings import get_settings

BATCH = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--travellers", type=int, default=1000)
    parser.add_argument("--consignments", type=int, default=300)
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    settings = get_settings()
    world = build_world(spec_for("demo", seed=3, day=date(2026, 12, 7), travellers=args.travellers,
                                 consignments=args.consignments, declarations=args.declarations))
    messages = [message.payload for message in render(world)]
    chain = build_chain(settings)
    validator = BatchValidator()
    print(f"{len(messages)} messages; enrichment stages: {', '.join(name for name, _ in chain.stages)}")

    def ingest() -> tuple[float, list[list[Record]]]:
        started = time.perf_counter()
        parsed: list[Record] = []
        for payload in messages:
            parsed.extend(parse_message(payload, MessageContext(source="benchmark")))
        batches = []
        for start in range(0, len(parsed), BATCH):
            batches.append(process_batch(parsed[start : start + BATCH], chain, validator).valid)
        return time.perf_counter() - started, batches

    def resolve(batches: list[list[Record]]) -> tuple[float, Resolver]:
        prepare_name.cache_clear()
        clear_similarity_cache()
        started = time.perf_counter()
        resolver = Resolver()
        for batch in batches:
            resolver.add(batch)
        return time.perf_counter() - started, resolver

    ingest()  # models, caches and the name data warm
    best_ingest, best_resolve = float("inf"), float("inf")
    records = 0
    for round_number in range(1, args.rounds + 1):
        t_ingest, batches = ingest()
        t_resolve, resolver = resolve(batches)
        records = sum(len(batch) for batch in batches)
        best_ingest, best_resolve = min(best_ingest, t_ingest), min(best_resolve, t_resolve)
        print(f"round {round_number}: {records} valid records; ingest {t_ingest:.2f} s, resolution "
              f"{t_resolve:.2f} s; {len(resolver.entities())} entities join "
              f"{sum(len(m) for m in resolver.entities().values())} records")
    without = records / best_ingest
    with_resolution = records / (best_ingest + best_resolve)
    print(f"ingest stages alone:      {without:8.1f} records/s")
    print(f"with entity resolution:   {with_resolution:8.1f} records/s")
    print(f"cost of resolution:       {1 - with_resolution / without:8.1%} of throughput (goal <= 20 %)")


if __name__ == "__main__":
    main()
