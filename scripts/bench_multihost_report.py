#!/usr/bin/env python3
"""bench_multihost_report.py RUNS.jsonl — the table of scripts/bench-multihost.sh.

Per model, link, rank count and mode: the gradient allreduce alone (measured after a barrier)
beside the ring cost model of docs/scaling.md for that link, the step, the step of one process
alone, their difference (the compute-normalised cost of going parallel), and the communication
the step waited for (the reducer's wait after backward, measured in the step).
"""
import json
import sys

# Bandwidth in bytes/s and per-message latency: docs/scaling.md's TCP figure (no delay is added
# to the test links; the veth pair's own is smaller).
LINKS = {"10gbit": (10e9 / 8, 20e-6), "1gbit": (1e9 / 8, 20e-6)}


def ring_ms(link, k, grad_bytes):
    """2 (K-1)/K S/B + 2 (K-1) a: docs/scaling.md's model (None for an unshaped link)."""
    if link not in LINKS:
        return None
    b, a = LINKS[link]
    return 1e3 * (2 * (k - 1) / k * grad_bytes / b + 2 * (k - 1) * a)


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    alone = {(r["layers"], r["hidden"]): r["median_step_ms"] for r in rows if r.get("mode") == "alone"}
    mpi = [r for r in rows if r.get("event") == "mpi"]
    if not rows:
        sys.exit("bench_multihost_report: no runs")
    first = rows[0]
    print(f"CPU: {first.get('cpu')} (family {first.get('family')}, model {first.get('model')}); "
          f"{first.get('dtype', 'see runs')}; every rank 1 thread, T 100, N 32 per rank; "
          "the ranks share this machine's cores.\n")
    print("| model | link | ranks | gradients | allreduce ms (model) | step ms | alone ms "
          "| step - alone ms | waited for comm ms | share of step |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in mpi:
        key = (r["layers"], r["hidden"])
        model = ring_ms(r["link"], r["ranks"], r["gradient_mib"] * 1048576)
        base = alone.get(key)
        extra = "-" if base is None else f"{r['median_step_ms'] - base:.0f}"
        print(f"| {r['layers']}x{r['hidden']} | {r['link']} | {r['ranks']} {r['mode']} "
              f"| {r['gradient_mib']:.1f} MiB "
              f"| {r['allreduce_ms']:.1f} ({'-' if model is None else round(model, 1)}) "
              f"| {r['median_step_ms']:.0f} | {'-' if base is None else round(base)} "
              f"| {extra} "
              f"| {r['comm_ms_per_step']:.1f} | {100 * r['comm_fraction']:.1f}% |")


if __name__ == "__main__":
    main()
