#!/usr/bin/env python3
"""bench_serve.py CHARRNN_BIN OUT.jsonl MODEL_DIR LABEL [MODEL_DIR LABEL ...] — charrnn serve
under 1, 8 and 32 concurrent streaming clients: aggregate symbols/s, and p50/p99 time to first
symbol and between symbols. One server per model (--slots 32); each client asks 400 symbols.
Beside each model, the bound on what batching can give: `charrnn generate` (the same engine
without HTTP) at 1 and at 32 samples, symbols/s, in the server's dtype and threads.
The load generator counts Server-Sent Events per recv() and parses no JSON, so that it takes
little of the CPU the server needs; events that arrive in one recv share its timestamp."""
import json
import re
import socket
import subprocess
import sys
import threading
import time

SYMBOLS = 400


def start(binary, model, extra=()):
    proc = subprocess.Popen([binary, "serve", "--model", model, "--port", "0", "--slots", "32",
                             "--max-tokens", str(SYMBOLS), *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)/", line).group(1))
    return proc, port


def client(port, seed, out):
    body = json.dumps({"prompt": "And", "max_tokens": SYMBOLS, "seed": seed, "stream": True}).encode()
    req = (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.perf_counter()
    s.sendall(req)
    stamps, tail = [], b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        now = time.perf_counter()
        chunk = tail + data
        n = chunk.count(b"data: {")
        tail = chunk[-8:]
        stamps.extend([now] * n)
    s.close()
    # The last event of a choice carries only the finish_reason: SYMBOLS text events + 1.
    out.append((t0, stamps[:SYMBOLS]))


def generate_rate(binary, model, samples):
    """Median of 3 `charrnn generate --stats` runs: symbols/s of `samples` samples of 2,000."""
    rates = []
    for _ in range(3):
        err = subprocess.run([binary, "generate", "--model", model, "--prompt", "And", "--length", "2000",
                              "--num-samples", str(samples), "--stats"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, check=True).stderr
        rates.append(float(re.search(r"([0-9.]+) symbols/s", err).group(1)))
    return sorted(rates)[1]


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p / 100 * len(v)))] if v else float("nan")


def run(port, clients):
    results, threads = [], []
    for i in range(clients):
        threads.append(threading.Thread(target=client, args=(port, i, results)))
    start_t = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start_t
    ttft = [1e3 * (st[0] - t0) for t0, st in results if st]
    gaps = [1e3 * (b - a) for _, st in results for a, b in zip(st, st[1:])]
    total = sum(len(st) for _, st in results)
    return {"clients": clients, "symbols": total, "seconds": wall, "symbols_per_s": total / wall,
            "ttft_ms_p50": pct(ttft, 50), "ttft_ms_p99": pct(ttft, 99),
            "gap_ms_p50": pct(gaps, 50), "gap_ms_p99": pct(gaps, 99)}


def main(binary, out_path, *models):
    # --clients 1,8 (first) picks the client counts; --beside TEXT tags the lines (bench_share.sh
    # measures the server beside a training run).
    counts, beside, args = (1, 8, 32), None, list(models)
    while args and args[0].startswith("--"):
        flag, value = args.pop(0), args.pop(0)
        if flag == "--clients":
            counts = tuple(int(c) for c in value.split(","))
        elif flag == "--beside":
            beside = value
    with open(out_path, "a") as out:
        for model, label in zip(args[::2], args[1::2]):
            if not beside:
                one, many = generate_rate(binary, model, 1), generate_rate(binary, model, 32)
                b = {"event": "serve_bound", "model": label, "generate_1": one, "generate_32": many,
                     "ratio": many / one}
                print(f"bench: generate {label}, 1 sample {one:,.0f} symbols/s, 32 samples {many:,.0f}: "
                      f"batching gives at most {many / one:.1f}x")
                out.write(json.dumps(b) + "\n")
            proc, port = start(binary, model)
            try:
                run(port, 2)  # warm-up: primitives built, pages touched
                for clients in counts:
                    r = run(port, clients)
                    r.update(event="serve_beside" if beside else "serve", model=label)
                    if beside:
                        r["beside"] = beside
                    print(f"bench: serve {label}, {clients} clients: {r['symbols_per_s']:,.0f} symbols/s, "
                          f"first symbol p50/p99 {r['ttft_ms_p50']:.1f}/{r['ttft_ms_p99']:.1f} ms, "
                          f"between symbols p50/p99 {r['gap_ms_p50']:.2f}/{r['gap_ms_p99']:.2f} ms")
                    out.write(json.dumps(r) + "\n")
            finally:
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main(*sys.argv[1:])
