#!/usr/bin/env python3
"""quality_report.py DIR MINUTES [BARS] — the table, JSON and SVG of one corpus and budget.

Reads DIR/charrnn/model.json (its history: wall seconds, evaluations included; its best) and every
DIR/*.jsonl (a peer's evaluations: training seconds, evaluations excluded, which favours the
peer): peer.jsonl or lstm.jsonl is the PyTorch LSTM, gpt-*.jsonl the PyTorch GPT at each size
tried (the best of them is reported as "gpt (best size)"). Prints the best validation loss
each reached by 10, 20, 30, ... minutes and the bars; writes DIR/quality.json and
DIR/curves.svg (validation loss against minutes, every run). BARS: "none", or bars as
"30:1.42,90:1.37" (minute:loss; the default: none).
"""
import glob
import os
import json
import math
import sys


def charrnn_curve(path):
    """Every evaluation (on a big split, a fixed sample of it), then the best weights' score on the
    whole split when the run closed (model.json's best, what `charrnn eval` of them reports), if
    lower than the last evaluation's (the last weights on the whole split)."""
    m = json.load(open(path))
    curve = [(h["seconds"] / 60, h["val_loss"]) for h in m["history"] if h.get("val_loss") is not None]
    best = (m.get("best") or {}).get("val_loss")
    if curve and best is not None and best < curve[-1][1]:
        curve.append((curve[-1][0], best))
    return curve


def peer_curve(path):
    out = []
    for line in open(path):
        d = json.loads(line)
        step = d.get("step", d.get("eval", 0))  # the LSTM peer says step, the GPT peer eval
        if "val_loss" in d and step > 0:
            out.append((d["seconds"] / 60, d["val_loss"]))
    return out


def peer_name(path):
    name = os.path.basename(path)[:-len(".jsonl")]
    return "pytorch lstm" if name in ("peer", "lstm") else "pytorch " + name


def best_by(curve, minute):
    # a run's closing evaluation lands a moment after its deadline (600.02 s for 10 minutes): a
    # half-percent grace counts it, a peer's evaluation 2% late is not counted
    vals = [v for t, v in curve if t <= minute * 1.005]
    return min(vals) if vals else None


def round_ticks(lo, hi, count):
    """Ticks of 1, 2 or 5 times a power of ten from at or below lo to at or above hi."""
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if raw / mag <= m * 1.5 or m == 10)
    first = math.floor(lo / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < hi - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def svg(curves, minutes, bars):
    """Both curves in full (the axes span every point, on round ticks), the quality bars dashed."""
    w, h, pad = 640, 400, 50
    ys = [v for c in curves.values() for _, v in c] + [b for _, b in bars]
    yt = round_ticks(min(ys), max(ys), 6)
    xt = round_ticks(0, max([minutes] + [t for c in curves.values() for t, _ in c]), 6)
    lo, hi, x_hi = yt[0], yt[-1], xt[-1]
    def x(t): return pad + (w - 2 * pad) * t / x_hi
    def y(v): return h - pad - (h - 2 * pad) * (v - lo) / (hi - lo)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
             f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">minutes of training</text>',
             f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">validation loss (nats/char)</text>']
    for v in yt:
        parts.append(f'<line x1="{pad}" y1="{y(v):.1f}" x2="{w - pad}" y2="{y(v):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{pad - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for i, (_, bar) in enumerate(bars):
        parts.append(f'<line x1="{pad}" y1="{y(bar):.1f}" x2="{w - pad}" y2="{y(bar):.1f}" stroke="#bbb" stroke-dasharray="4"/>')
        above = i % 2 == 0  # bars may be close: alternate labels above and below their lines
        parts.append(f'<text x="{w - pad + 4}" y="{y(bar) + (-3 if above else 11):.1f}" font-size="10">{bar:.2f}</text>')
    for t in xt:
        parts.append(f'<text x="{x(t):.1f}" y="{h - pad + 16}" text-anchor="middle">{t:g}</text>')
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for i, (name, c) in enumerate(curves.items()):
        if not c:
            continue
        color = palette[i % len(palette)]
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in c)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>')
        parts.append(f'<text x="{pad + 10}" y="{pad + 16 * (i + 1)}" fill="{color}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def main():
    out, minutes = sys.argv[1], float(sys.argv[2])
    spec = sys.argv[3] if len(sys.argv) > 3 else "none"
    bar_list = [] if spec == "none" else [(float(m), float(b)) for m, b in (p.split(":") for p in spec.split(","))]
    curves = {"charrnn": charrnn_curve(f"{out}/charrnn/model.json")}
    for path in sorted(glob.glob(f"{out}/*.jsonl")):
        curves[peer_name(path)] = peer_curve(path)
    marks = sorted({m for m in (10, 20, 30, 45, 60, 75, 90) if m < minutes} | {minutes})
    table = {name: {m: best_by(c, m) for m in marks} for name, c in curves.items()}
    fmt = lambda v: "-" if v is None else f"{v:.4f}"
    print("best validation loss (nats/char) reached by")
    def best(c):  # the run's best and when it was reached (the last evaluation may end after
        return min(((v, t) for t, v in c), default=(None, None))  # the budget: it closes the run)
    print("| run | " + " | ".join(f"{m:g} min" for m in marks) + " | best (minute) | final (minute) |")
    print("|---|" + "---|" * (len(marks) + 2))
    for name, c in curves.items():
        v, t = best(c)
        at = "" if t is None else f" ({t:.1f})"
        last = f"{c[-1][1]:.4f} ({c[-1][0]:.1f})" if c else "-"
        print(f"| {name} | " + " | ".join(fmt(table[name][m]) for m in marks) + f" | {fmt(v)}{at} | {last} |")
    bars = {}
    for minute, bar in bar_list:
        if minute <= minutes:
            v = best_by(curves["charrnn"], minute)
            bars[f"{minute:g}min<={bar}"] = v is not None and v <= bar
            print(f"bar: <= {bar} by {minute:g} min: {'met' if bars[f'{minute:g}min<={bar}'] else 'not met'} ({fmt(v)})")
    gpts = {n: min((v for _, v in c), default=None) for n, c in curves.items() if "gpt" in n}
    gpts = {n: v for n, v in gpts.items() if v is not None}
    best_gpt = min(gpts.items(), key=lambda kv: kv[1]) if gpts else None
    if best_gpt:
        ours = min((v for _, v in curves["charrnn"]), default=None)
        print(f"gpt (best size): {best_gpt[0]} {best_gpt[1]:.4f}; charrnn {fmt(ours)}; "
              f"charrnn ahead by {best_gpt[1] - ours:.4f} nats/char" if ours else "")
    json.dump({"minutes": minutes, "curves": curves, "best_by_minute": table, "bars": bars,
               "best_gpt": best_gpt},
              open(f"{out}/quality.json", "w"), indent=1)
    open(f"{out}/curves.svg", "w").write(svg(curves, minutes, bar_list))


if __name__ == "__main__":
    main()
