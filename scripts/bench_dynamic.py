#!/usr/bin/env python3
"""bench_dynamic.py CHARRNN OUT [--grid] MODEL... — static against dynamic evaluation (eval --dynamic).

For each checkpoint trained with a validation split, the split is cut from its corpus as the
trainer cut it (the last val_symbols code points) and halved: the first half tunes, the second
tests. With --grid, the step, decay and segment are searched on the tuning half (the defaults
of eval --dynamic came from this search on the small preset's model). Every model is then
scored statically and dynamically, with the defaults and with the grid's best, on the testing
half and on the whole split. Writes OUT/dynamic.json and prints a table. The grid (45
evaluations of the tuning half) runs on the first model only.
"""
import itertools
import json
import os
import subprocess
import sys


def evaluate(charrnn, model, text, extra):
    cmd = [charrnn, "eval", "--model", model, "--text", text, "--json", "--dynamic"] + extra
    j = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return j["nats_per_char"], j["dynamic"]


def split_files(model, out):
    m = json.load(open(os.path.join(model, "model.json")))
    corpus = m["training"]["config"]["corpus"]
    text = "".join(open(c, encoding="utf-8").read() for c in corpus)
    val = text[len(text) - m["corpus"]["val_symbols"]:]
    name = os.path.basename(model.rstrip("/"))
    paths = {}
    for part, body in (("tune", val[: len(val) // 2]), ("test", val[len(val) // 2:]), ("val", val)):
        paths[part] = os.path.join(out, f"{name}.{part}.txt")
        open(paths[part], "w", encoding="utf-8").write(body)
    return name, m, paths


def grid(charrnn, model, tune):
    best = None
    for seg, step, decay in itertools.product((10, 20, 50), (1e-5, 3e-5, 1e-4, 3e-4, 1e-3), (0, 1e-3, 1e-2)):
        _, d = evaluate(charrnn, model, tune, ["--segment", str(seg), "--step", str(step), "--decay", str(decay)])
        print(f"  grid: segment {seg}, step {step:g}, decay {decay:g}: {d['nats_per_char']:.4f}", flush=True)
        if best is None or d["nats_per_char"] < best[0]:
            best = (d["nats_per_char"], ["--segment", str(seg), "--step", str(step), "--decay", str(decay)])
    return best[1]


def main():
    args = sys.argv[1:]
    search = "--grid" in args
    args = [a for a in args if a != "--grid"]
    charrnn, out, models = args[0], args[1], args[2:]
    os.makedirs(out, exist_ok=True)
    rows = []
    for i, model in enumerate(models):
        name, m, paths = split_files(model, out)
        a = m["architecture"]
        print(f"{name}: {a['layers']}x{a['hidden']}, {a['parameters']} parameters, best val {m['best']['val_loss']:.4f}", flush=True)
        settings = {"defaults": []}
        if search and i == 0:
            settings["grid's best"] = grid(charrnn, model, paths["tune"])
        for label, extra in settings.items():
            for part in ("test", "val"):
                static, d = evaluate(charrnn, model, paths[part], extra)
                rows.append({"model": name, "layers": a["layers"], "hidden": a["hidden"], "part": part,
                             "setting": label, "segment": d["segment"], "step": d["step"], "decay": d["decay"],
                             "statistics": d["statistics"], "static": static, "dynamic": d["nats_per_char"],
                             "change": d["nats_per_char"] / static - 1})
                print(json.dumps(rows[-1]), flush=True)
    json.dump(rows, open(os.path.join(out, "dynamic.json"), "w"), indent=1)
    print("| model | text | setting (segment, step, decay) | static nats/char | dynamic | change |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        part = "second half of validation" if r["part"] == "test" else "whole validation split"
        print(f"| {r['model']} ({r['layers']}x{r['hidden']}) | {part} | {r['setting']} ({r['segment']}, {r['step']:g}, "
              f"{r['decay']:g}) | {r['static']:.4f} | {r['dynamic']:.4f} | {100 * r['change']:+.1f}% |")


if __name__ == "__main__":
    main()
