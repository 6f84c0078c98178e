#!/usr/bin/env python3
"""generate.py MODEL [PROMPT] — stream text from a charrnn model, as `charrnn generate` does."""
import sys

import charrnn

model = charrnn.Model.open(sys.argv[1] if len(sys.argv) > 1 else "kjv-small")
prompt = sys.argv[2] if len(sys.argv) > 2 else "And God said"
print(prompt, end="", flush=True)
for piece in model.generate(prompt, 400, temperature=0.8, seed=1, stream=True):
    print(piece, end="", flush=True)
print()
