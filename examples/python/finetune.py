#!/usr/bin/env python3
"""finetune.py CORPUS OUT — fine-tune the shipped kjv-small on your text for a minute, then
write a sample: a parent model's weights and vocabulary, your corpus's new symbols added."""
import sys

import charrnn


def show(event):
    if event["kind"] == "eval":
        print(f"step {event['step']}: validation {event['val_loss']:.4f} nats/char")


corpus, out = sys.argv[1], sys.argv[2]
summary = charrnn.train(corpus=corpus, model_dir=out, init_from="kjv-small", minutes=1,
                        force=True, on_progress=show)
print(f"{summary['steps']} steps, best {summary['best_val_loss']:.4f} nats/char")
print(charrnn.Model.open(out).generate("", 300, temperature=0.8, seed=1))
