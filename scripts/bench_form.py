#!/usr/bin/env python3
"""bench_form.py CHARRNN MODEL CORPUS OUT [POEMS] — form-aware generation, measured.

Generates POEMS (200) poems from title prompts (《title》 + a new line, titles from the last 5%
of CORPUS, the model's validation part) three ways: free (the model alone, up to a blank
line), --form 5 and --form 7 (8 verses each: 4 lines of a couplet). For each it reports
  - form: the fraction of lines that are a right couplet, "n characters，n characters。", with
    n = 5 or 7 as asked; free poems are held to the length of their own first verse when that
    is 5 or 7 (otherwise all their lines count as wrong);
  - memorisation: the fraction of generated 5- and 7-character verses that occur verbatim in
    the corpus;
and the model's validation nats/char (model.json). CORPUS is read in simplified script (ICU's
Hant-Hans through uconv, as train --script simplified reads it). Writes OUT/form.json.
"""
import json
import os
import re
import subprocess
import sys

HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"


def simplified(path):
    return subprocess.run(["uconv", "-f", "utf-8", "-t", "utf-8", "-x", "Hant-Hans", path],
                          check=True, capture_output=True, text=True).stdout


def verses(text):
    return [v for v in re.split(r"[，。？！；、\n]", text) if v]


def generate(charrnn, model, prompt, seed, extra):
    cmd = [charrnn, "generate", "--model", model, "--prompt", prompt, "--seed", str(seed), "--json",
           "--temperature", "0.8", "--threads", "1"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[0])["text"]


def form_of(poem, n):
    """(right lines, lines) of a poem held to n characters a verse (n None: its first verse's)."""
    lines = [l for l in poem.strip("\n").split("\n") if l]
    if n is None:
        first = re.match(f"^({HAN}+)，", lines[0]) if lines else None
        n = len(first.group(1)) if first and len(first.group(1)) in (5, 7) else 0
    pattern = re.compile(f"^{HAN}{{{n}}}，{HAN}{{{n}}}。$") if n else None
    right = sum(1 for l in lines if pattern and pattern.match(l))
    return right, len(lines)


def main():
    charrnn, model, corpus, out = sys.argv[1:5]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    os.makedirs(out, exist_ok=True)
    text = simplified(corpus)
    known = {v for v in verses(text) if len(v) in (5, 7)}
    titles = []
    for t in re.findall(r"^《[^》\n]+》$", text[int(len(text) * 0.95):], re.M):
        if t not in titles:
            titles.append(t)
    titles = titles[:count]
    modes = {"free": (["--length", "160", "--stop", "\n\n"], None),
             "form 5": (["--form", "5", "--lines", "8", "--length", "200"], 5),
             "form 7": (["--form", "7", "--lines", "8", "--length", "200"], 7)}
    m = json.load(open(os.path.join(model, "model.json")))
    result = {"model": model, "poems": len(titles), "val_nats_per_char": m["best"]["val_loss"], "modes": {}}
    samples = {}
    for name, (extra, n) in modes.items():
        right = lines = hits = total = 0
        for k, title in enumerate(titles):
            poem = generate(charrnn, model, title + "\n", k + 1, extra)
            r, l = form_of(poem, n)
            right, lines = right + r, lines + l
            vs = [v for v in verses(poem) if len(v) in (5, 7) and re.fullmatch(f"{HAN}+", v)]
            hits, total = hits + sum(v in known for v in vs), total + len(vs)
            if k < 3:
                samples.setdefault(name, []).append(title + "\n" + poem)
        result["modes"][name] = {"lines": lines, "right_lines": right / max(lines, 1),
                                 "verses": total, "memorised": hits / max(total, 1)}
        print(json.dumps({name: result["modes"][name]}), flush=True)
    result["samples"] = samples
    json.dump(result, open(os.path.join(out, "form.json"), "w"), ensure_ascii=False, indent=1)
    print(f"{len(titles)} poems from title prompts, model {model} (validation {result['val_nats_per_char']:.4f} nats/char)")
    print("| generation | lines | right length and punctuation | 5/7-character verses | found verbatim in the corpus |")
    print("|---|---|---|---|---|")
    for name, r in result["modes"].items():
        print(f"| {name} | {r['lines']} | {100 * r['right_lines']:.1f}% | {r['verses']} | {100 * r['memorised']:.1f}% |")


if __name__ == "__main__":
    main()
