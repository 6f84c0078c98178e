#!/usr/bin/env python3
"""bench_report.py RUNS.jsonl OUT.json — summarizes a bench.sh run: one row per configuration
with charrnn's figures at 2 and 1 threads, the PyTorch peer's, and the ratios between them."""
import json
import sys

# Ring allreduce cost model (docs/scaling.md): K machines, link bandwidth B bytes/s, per-message
# latency a: time = 2 (K-1)/K * bytes / B + 2 (K-1) a.
LINKS = {"10 Gbit/s": (10e9 / 8, 20e-6), "100 Gbit/s": (100e9 / 8, 3e-6)}
MACHINES = (4, 16, 64)


def ring_allreduce_s(nbytes, k, bandwidth, latency):
    return 2 * (k - 1) / k * nbytes / bandwidth + 2 * (k - 1) * latency


def scaling(rows):
    """Expected speedup on K machines: each computes a full step (the measured 2-thread step
    of the same configuration), then waits for the ring allreduce (no overlap assumed)."""
    out = []
    for key, row in rows.items():
        m, c2 = row.get("mpi"), row.get("charrnn_t2")
        if not m:
            continue
        step_s = (c2["median_step_ms"] if c2 else m["median_step_ms"]) / 1e3
        s = {"config": key, "gradient_mib": m["gradient_mib"], "allreduce_ms_2_ranks_local": m["allreduce_ms"],
             "allreduce_fraction_2_ranks": m["allreduce_fraction"], "comm_fraction_2_ranks": m["comm_fraction"],
             "compute_step_ms": 1e3 * step_s, "expected": {}}
        for link, (bw, lat) in LINKS.items():
            for k in MACHINES:
                t = ring_allreduce_s(4 * m["parameters"], k, bw, lat)
                s["expected"][f"{k} x {link}"] = {"allreduce_ms": 1e3 * t, "speedup": k * step_s / (step_s + t),
                                                  "efficiency": step_s / (step_s + t)}
        out.append(s)
    return out


def print_scaling(scal):
    for s in scal:
        print(f"\ndata parallel, {s['config']}: gradient {s['gradient_mib']:.1f} MiB; 2 local ranks: allreduce "
              f"{s['allreduce_ms_2_ranks_local']:.1f} ms = {100 * s['allreduce_fraction_2_ranks']:.1f}% of the step "
              f"({100 * s['comm_fraction_2_ranks']:.1f}% with waiting); compute step {s['compute_step_ms']:.0f} ms")
        print("| machines | link | ring allreduce ms | expected speedup | efficiency |")
        print("|---|---|---|---|---|")
        for name, e in s["expected"].items():
            k, link = name.split(" x ")
            print(f"| {k} | {link} | {e['allreduce_ms']:.1f} | {e['speedup']:.1f}x | {100 * e['efficiency']:.0f}% |")


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def sharing(shares):
    """Generation beside a training run and two training runs at once (bench_share.sh)."""
    gen, out = {}, {"cpu": cpu_name(), "generate": [], "train": None, "serve": []}
    serve = {}
    for r in shares:
        if r["event"] == "serve_beside":
            serve.setdefault(r["model"], {})[r["beside"]] = r["symbols_per_s"]
            continue
        if r["event"] == "share_generate":
            gen.setdefault(r["model"], {})[r["beside"]] = sorted(r["symbols_per_s"])
        else:
            out["train"] = {"alone": r["alone"], "together": r["together"],
                            "each_over_alone": [t / r["alone"] for t in r["together"]],
                            "sum_over_alone": sum(r["together"]) / r["alone"]}
    for model, by in gen.items():
        idle = by.pop("idle")
        for beside, rates in by.items():
            med_idle = idle[len(idle) // 2]
            out["generate"].append({"model": model, "beside": beside, "idle": idle, "busy": rates,
                                    "median_over_idle": rates[len(rates) // 2] / med_idle,
                                    "min_over_idle": rates[0] / med_idle})
    for model, by in serve.items():
        idle = by.pop("idle", None)
        for beside, rate in by.items():
            out["serve"].append({"model": model, "beside": beside, "idle": idle, "busy": rate,
                                 "over_idle": rate / idle if idle else None})
    return out


def print_sharing(sh):
    if not sh["generate"] and not sh["train"]:
        return
    print(f"\nsharing the CPU ({sh['cpu']}): charrnn generate --length 2000, default --threads, 10 runs each")
    print("| model | idle symbols/s (median, min) | beside | symbols/s (median, min) | median / idle | min / idle |")
    print("|---|---|---|---|---|---|")
    for g in sh["generate"]:
        i, b = g["idle"], g["busy"]
        print(f"| {g['model']} | {i[len(i) // 2]:,.0f}, {i[0]:,.0f} | {g['beside']} | {b[len(b) // 2]:,.0f}, {b[0]:,.0f} "
              f"| {g['median_over_idle']:.2f} | {g['min_over_idle']:.2f} |")
    for s in sh.get("serve", []):
        print(f"charrnn serve {s['model']}, one streaming client: idle {s['idle']:,.0f} symbols/s, beside {s['beside']} "
              f"{s['busy']:,.0f} ({s['over_idle']:.2f} of idle)")
    t = sh["train"]
    if t:
        print(f"training 2x512 T100 N32, 2 threads: alone {t['alone']:,.0f} tok/s; two runs at once "
              f"{t['together'][0]:,.0f} + {t['together'][1]:,.0f} tok/s ({100 * t['sum_over_alone']:.0f}% of alone together)")


def print_serve(serves, bounds):
    if not serves:
        return
    print(f"\ncharrnn serve ({cpu_name()}): streaming clients of 400 symbols each, --slots 32")
    print("| model | clients | symbols/s | x one client | first symbol p50 / p99 ms | between symbols p50 / p99 ms |")
    print("|---|---|---|---|---|---|")
    one = {r["model"]: r["symbols_per_s"] for r in serves if r["clients"] == 1}
    for r in serves:
        print(f"| {r['model']} | {r['clients']} | {r['symbols_per_s']:,.0f} | {r['symbols_per_s'] / one[r['model']]:.1f}x "
              f"| {r['ttft_ms_p50']:.1f} / {r['ttft_ms_p99']:.1f} | {r['gap_ms_p50']:.2f} / {r['gap_ms_p99']:.2f} |")
    # What batching can give at all: the engine without HTTP (charrnn generate), 32 samples over 1.
    for b in bounds:
        print(f"bound, {b['model']}: charrnn generate 1 sample {b['generate_1']:,.0f} symbols/s, 32 samples "
              f"{b['generate_32']:,.0f}: batching gives at most {b['ratio']:.1f}x one stream")


def main(runs_path, out_path):
    rows, shares, serves, bounds = {}, [], [], []
    for line in open(runs_path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r.get("event", "").startswith("share_"):
            shares.append(r)
            continue
        if r.get("event") == "serve":
            serves.append(r)
            continue
        if r.get("event") == "serve_bound":
            bounds.append(r)
            continue
        if r.get("event") == "finetune":
            print(f"fine-tuning kjv-small on 200 KB for {r['minutes']:g} min: best val {r['tuned_val']:.4f} nats/char "
                  f"({r['tuned_steps']} steps); from scratch, same architecture and time: {r['scratch_val']:.4f} "
                  f"({r['scratch_steps']} steps)")
            continue
        if r.get("event") == "serve_beside":
            shares.append(r)
            continue
        key = r["config"]
        row = rows.setdefault(key, {"config": key})
        if r.get("event") == "mpi":
            row["mpi"] = r
        elif r.get("event") == "quality":
            row[f"quality_{r['dtype']}"] = r
        elif r.get("tool") == "charrnn" and r.get("dtype") == "bf16":
            row[f"bf16_t{r['threads']}"] = r
        elif r.get("tool") == "charrnn":
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
        if "memory" in row or "charrnn_t2" not in row:
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
        b2 = row.get("bf16_t2")
        if b2:
            s.update(bf16_tokens_per_s_2t=b2["train_tokens_per_s"], bf16_fraction_of_bf16_ceiling=b2["fraction_of_ceiling"],
                     bf16_matmul_ceiling_gflops_2t=b2["matmul_ceiling_gflops"],
                     bf16_gen_batch1=b2["gen_chars_per_s_batch1"], bf16_gen_batch32=b2["gen_chars_per_s_batch32"])
            if c2:
                s["bf16_over_f32"] = b2["train_tokens_per_s"] / c2["train_tokens_per_s"]
        # The GEMM bound (bench.cpp): no LSTM built on oneDNN matmul beats it at this shape.
        for name, r in (("f32", c2), ("bf16", b2)):
            if r and "gemm_bound_tokens_per_s" in r:
                s[f"{name}_gemm_bound"] = {"tokens_per_s": r["gemm_bound_tokens_per_s"],
                                           "recurrent_matmul_gflops": r["recurrent_matmul_gflops"],
                                           "charrnn_fraction": r["fraction_of_gemm_bound"]}
                if pb:
                    s[f"{name}_gemm_bound"]["x_peer"] = r["gemm_bound_tokens_per_s"] / pb["median_tokens_per_s"]
        if c1 and c2:
            s["thread_scaling_2_over_1"] = c2["train_tokens_per_s"] / c1["train_tokens_per_s"]
        if pb:
            s.update(peer_tokens_per_s_1t=pb["median_tokens_per_s"], peer_peak_rss_mib=pb["peak_rss_mib"])
            if c2:
                s["train_ratio_vs_peer"] = c2["train_tokens_per_s"] / pb["median_tokens_per_s"]
            if b2:
                s["bf16_train_ratio_vs_peer_f32"] = b2["train_tokens_per_s"] / pb["median_tokens_per_s"]
        if ps:
            s["peer_gen_batch1"] = ps["chars_per_s"]
            if c2:
                s["gen_ratio_vs_peer"] = c2["gen_chars_per_s_batch1"] / ps["chars_per_s"]
        summary.append(s)
    quality = [{"config": k, "f32": row["quality_f32"], "bf16": row["quality_bf16"],
                "bf16_over_f32_val_loss": row["quality_bf16"]["val_loss"] / row["quality_f32"]["val_loss"]}
               for k, row in rows.items() if "quality_f32" in row and "quality_bf16" in row]
    scal = scaling(rows)
    sh = sharing(shares)
    json.dump({"cpu": cpu_name(), "configs": summary, "memory": memory, "data_parallel": scal,
               "bf16_quality": quality, "sharing": sh, "serve": serves, "serve_bound": bounds}, open(out_path, "w"), indent=1)
    print(f"\nCPU: {cpu_name()}")

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
    print("\n| config | bf16 tok/s (2t) | bf16 / f32 | bf16 x peer f32 | % of bf16 matmul ceiling | bf16 gen/s b1 / b32 |")
    print("|---|---|---|---|---|---|")
    for s in summary:
        if "bf16_tokens_per_s_2t" in s:
            print(f"| {s['config']} | {f(s['bf16_tokens_per_s_2t'])} | {f(s.get('bf16_over_f32'), '{:.2f}x')} "
                  f"| {f(s.get('bf16_train_ratio_vs_peer_f32'), '{:.2f}x')} "
                  f"| {100 * s['bf16_fraction_of_bf16_ceiling']:.0f}% of {s['bf16_matmul_ceiling_gflops_2t']:.0f} GFLOP/s "
                  f"| {f(s['bf16_gen_batch1'])} / {f(s['bf16_gen_batch32'])} |")
    print("\nGEMM bound at 2 threads: tokens/s if every GEMM of the step ran at the oneDNN matmul speed measured "
          "for its shape (recurrent GEMMs, N rows, one per time step) and nothing else took time")
    print("| config | dtype | recurrent matmul GFLOP/s (fwd / bwd) | ceiling GFLOP/s | bound tok/s | bound x peer | charrnn / bound |")
    print("|---|---|---|---|---|---|---|")
    for s in summary:
        for name, ceil_key in (("f32", "matmul_ceiling_gflops_2t"), ("bf16", "bf16_matmul_ceiling_gflops_2t")):
            g = s.get(f"{name}_gemm_bound")
            if g:
                rf, rb = g["recurrent_matmul_gflops"]
                print(f"| {s['config']} | {name} | {rf:.0f} / {rb:.0f} | {f(s.get(ceil_key))} | {f(g['tokens_per_s'])} "
                      f"| {f(g.get('x_peer'), '{:.2f}x')} | {100 * g['charrnn_fraction']:.0f}% |")
    for q in quality:
        print(f"\n{q['config']}: after {q['f32']['tokens']:,} tokens, val loss f32 {q['f32']['val_loss']:.4f} "
              f"({q['f32']['seconds']:.0f} s), bf16 {q['bf16']['val_loss']:.4f} ({q['bf16']['seconds']:.0f} s): "
              f"bf16/f32 = {q['bf16_over_f32_val_loss']:.4f}")
    for s in summary:
        for name in ("charrnn_t2", "bf16_t2"):
            r = rows[s["config"]].get(name)
            if not r or "phases_ms" not in r:
                continue
            print(f"\nwhere a training step's time goes, {s['config']}, {r['dtype']}, 2 threads "
                  f"(step {r['median_step_ms']:.0f} ms unprofiled; head: {r.get('head_impl', '?')}; "
                  f"recurrent: {r.get('lstm_impl', '?')})")
            print("| phase | ms per step | share | GFLOP/s | % of the matmul ceiling |")
            print("|---|---|---|---|---|")
            gemm = r.get("gemm_gflops", {})
            for k, v in sorted(r["phases_ms"].items(), key=lambda kv: -kv[1][0]):
                g = gemm.get(k)
                print(f"| {k} | {v[0]:.1f} | {100 * v[1]:.0f}% | {f(g[0]) if g else '-'} "
                      f"| {f(100 * g[1], '{:.0f}%') if g else '-'} |")
    for m in memory:
        print(f"\n{m['config']}: {m['corpus_bytes']:,} bytes, corpus ready in {m.get('load_seconds')} s, "
              f"peak RSS {m['peak_rss_mib']:,} MiB (/usr/bin/time -v), wall {m['wall']}")
    print_scaling(scal)
    print_sharing(sh)
    print_serve(serves, bounds)
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
