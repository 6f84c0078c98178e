#!/usr/bin/env python3
"""peer_settings.py SOURCE: the settings a PyTorch peer takes from a charrnn run.

Prints one line, "LAYERS HIDDEN T N DROPOUT LR". SOURCE is a checkpoint's model.json (its
training.config, read after the run) or the JSON of a training log's "config:" line (read while
the run trains). The automatic preset sizes all six by the budget, so the peers read what
charrnn chose instead of guessing it.
"""
import json
import os
import sys

source = sys.argv[1]
if os.path.isfile(source):
    config = json.load(open(source, encoding="utf-8"))["training"]["config"]
else:
    config = json.loads(source)
print(*(config[k] for k in ("layers", "hidden", "seq", "batch", "dropout", "lr")))
