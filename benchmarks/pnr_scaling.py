"""PNRGOV parsing time against the number of travellers in one PNR (linear, not quadratic).

One PNR with N travellers, each with a TIF, an SSR DOCS and a seat, parsed once per size; the baseline
is the smallest size in the same run, so the printed ratio is time(N) / time(smallest) against the
ratio of sizes (4x the travellers should take about 4x the time). Each size is parsed twice: as the
stream parses it, and with CPython's cyclic garbage collector paused, which separates the parser's own
growth from the collector's full passes over a heap that grows with the message.

    python benchmarks/pnr_scaling.py --sizes 10000 20000 40000
"""

from __future__ import annotations

import argparse
import gc
import time

from feeds import MessageContext, parse_message

HEADER = "UNA:+.? '\nUNB+IATA:1+DL++101209:2100+020A07'\nUNH+1+PNRGOV:11:1:IA+F6C2C268'\nMSG+:22'\n"
FLIGHT = "TVL+121210:0915:121210:1230+LHR+JFK+DL+4:Y'\nEQN+1'\nSRC'\nRCI+DL:MFN4TI::061210:1010'\n"


def pnr_with(travellers: int) -> bytes:
    lines = [HEADER, FLIGHT]
    for n in range(travellers):
        surname = f"TRAVELLER{n:06d}"
        lines.append(f"TIF+{surname}+GIVEN MR:A:{n + 1}'\n")
        lines.append(f"SSR+DOCS:HK:1:DL:::::/P/GBR/X{n:08d}/GBR/01JAN80/M/01JAN30/{surname}/GIVEN+::{n + 1}'\n")
    lines.append("TVL+121210:0915:121210:1230+LHR+JFK+DL+4:Y'\n")
    for n in range(travellers):
        lines.append(f"SSR+SEAT:HK:1:DL:::LHR:JFK+{(n % 60) + 1:02d}A::{n + 1}'\n")
    count = sum(text.count("'") for text in lines) - 1  # segments from UNH (the UNA line has no segment)
    lines.append(f"UNT+{count}+1'\nUNZ+1+020A07'\n")
    return "".join(lines).encode()


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    sizes = sorted(arguments.parse_args().sizes)
    context = MessageContext(source="scaling")
    baselines: dict[bool, float] = {}
    print("| travellers | collector | seconds (CPU) | records | time / time(smallest) | size ratio |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in sizes:
        payload = pnr_with(size)
        for collector in (True, False):
            gc.collect()
            gc.enable() if collector else gc.disable()
            started = time.process_time()
            records = parse_message(payload, context)
            elapsed = time.process_time() - started
            gc.enable()
            baseline = baselines.setdefault(collector, elapsed)
            assert sum(r.record_type == "passenger" for r in records) == size, records[0]
            print(
                f"| {size:,} | {'on' if collector else 'paused'} | {elapsed:.2f} | {len(records):,} "
                f"| {elapsed / baseline:.1f}x | {size / sizes[0]:.0f}x |"
            )


if __name__ == "__main__":
    main()
