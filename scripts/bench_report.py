#!/usr/bin/env python3
"""bench_report.py RUNS.jsonl OUT.json — summarizes a bench.sh run: one row per configuration
with charrnn's figures at 2 and 1 threads, the PyTorch peer's, and the ratios between them."""
import json
import sys


def main(runs_path, out_path):
    rows = {}
    for line in open(runs_path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        key = r["config"]
        row = rows.setdefault(key, {"config": key})
        if r.get("tool") == "charrnn":
            row[f"charrnn_t{r['threads']}"] = r
        elif r.get("event") == "bench":
            row["peer_bench"] = r
        elif r.get("event") == "sample":
            row["peer_sample"] = r
        elif r.get("event") == "memory":
            row["memory"] = r
    summary = []
    memory = [row["memory"] for row in rows.values() if "memory" in row]
    for key, row in rows.items():
        if "memory" in row:
            continue
        c2, c1 = row.get("charrnn_t2"), row.get("charrnn_t1")
        pb, ps = row.get("peer_bench"), row.get("peer_sample")
        s = {"config": key}
        if c2:
            s.update(vocab=c2["vocab"], charrnn_tokens_per_s_2t=c2["train_tokens_per_s"],
                     charrnn_fraction_of_ceiling_2t=c2["fraction_of_ceiling"],
                     matmul_ceiling_gflops_2t=c2["matmul_ceiling_gflops"],
                     charrnn_gen_batch1=c2["gen_chars_per_s_batch1"],
                     charrnn_gen_batch32=c2["gen_chars_per_s_batch32"],
                     charrnn_peak_rss_mib=c2["peak_rss_mib"])
        if c1:
            s.update(charrnn_tokens_per_s_1t=c1["train_tokens_per_s"],
                     charrnn_fraction_of_ceiling_1t=c1["fraction_of_ceiling"])
        if c1 and c2:
            s["thread_scaling_2_over_1"] = c2["train_tokens_per_s"] / c1["train_tokens_per_s"]
        if pb:
            s.update(peer_tokens_per_s_1t=pb["median_tokens_per_s"], peer_peak_rss_mib=pb["peak_rss_mib"])
            if c2:
                s["train_ratio_vs_peer"] = c2["train_tokens_per_s"] / pb["median_tokens_per_s"]
        if ps:
            s["peer_gen_batch1"] = ps["chars_per_s"]
            if c2:
                s["gen_ratio_vs_peer"] = c2["gen_chars_per_s_batch1"] / ps["chars_per_s"]
        summary.append(s)
    json.dump({"configs": summary, "memory": memory}, open(out_path, "w"), indent=1)

    def f(v, fmt="{:,.0f}"):
        return fmt.format(v) if isinstance(v, (int, float)) else "-"
    print()
    print("| config | V | charrnn tok/s (2t / 1t) | % of matmul ceiling (2t) | peer tok/s (1t) | train x peer "
          "| gen/s b1 (charrnn / peer) | gen/s b32 | RSS MiB (charrnn / peer) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        print(f"| {s['config']} | {s.get('vocab', '-')} "
              f"| {f(s.get('charrnn_tokens_per_s_2t'))} / {f(s.get('charrnn_tokens_per_s_1t'))} "
              f"| {f(100 * s['charrnn_fraction_of_ceiling_2t'] if 'charrnn_fraction_of_ceiling_2t' in s else None, '{:.0f}%')} "
              f"| {f(s.get('peer_tokens_per_s_1t'))} | {f(s.get('train_ratio_vs_peer'), '{:.2f}x')} "
              f"| {f(s.get('charrnn_gen_batch1'))} / {f(s.get('peer_gen_batch1'))} "
              f"| {f(s.get('charrnn_gen_batch32'))} "
              f"| {f(s.get('charrnn_peak_rss_mib'))} / {f(s.get('peer_peak_rss_mib'))} |")
    for s in summary:
        c2 = rows[s["config"]].get("charrnn_t2")
        if c2 and "phases_ms" in c2:
            phases = sorted(c2["phases_ms"].items(), key=lambda kv: -kv[1][0])
            print(f"\nphases of one training step, {s['config']}, 2 threads (ms, share): " +
                  ", ".join(f"{k} {v[0]:.1f} ({100 * v[1]:.0f}%)" for k, v in phases))
    for m in memory:
        print(f"\n{m['config']}: {m['corpus_bytes']:,} bytes, peak RSS {m['peak_rss_mib']:,} MiB "
              f"(/usr/bin/time -v), wall {m['wall']}")
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
