#!/usr/bin/env python3
"""torch_crosscheck.py CHECKPOINT_DIR TEXT_FILE — loads a charrnn checkpoint into plain PyTorch
modules (nn.Embedding + nn.LSTM/GRU/RNN + nn.Linear) through load_state_dict, scores the text
as one sequence from a zero state, and prints the mean cross-entropy in nats per symbol.

The charrnn test suite compares it with `charrnn eval`, which proves that the checkpoint's
names, shapes, gate order and biases mean in PyTorch what they mean in charrnn."""
import json
import struct
import sys
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        a, b = entry["data_offsets"]
        values = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32)
        out[name] = values.reshape(entry["shape"])
    return out


def main(ckpt, text_path):
    meta = json.load(open(f"{ckpt}/model.json"))
    arch, tok = meta["architecture"], meta["tokenizer"]
    assert tok["unit"] == "codepoint" and tok["normalize"] in ("nfc", "none")
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[arch["cell"]]
    emb = nn.Embedding(arch["vocab_size"], arch["embedding"])
    rnn = cls(arch["embedding"], arch["hidden"], arch["layers"])
    head = nn.Linear(arch["hidden"], arch["vocab_size"])
    sd = read_safetensors(f"{ckpt}/{meta['files']['weights']['path']}")
    prefix = arch["cell"] + "."
    emb.load_state_dict({"weight": sd["embedding.weight"]})
    rnn.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)})
    head.load_state_dict({"weight": sd["head.weight"], "bias": sd["head.bias"]})
    text = open(text_path, encoding="utf-8").read()
    if tok["normalize"] == "nfc":
        text = unicodedata.normalize("NFC", text)
    index = {s: i for i, s in enumerate(tok["symbols"])}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    with torch.no_grad():
        out, _ = rnn(emb(ids[:-1]).unsqueeze(1))
        loss = F.cross_entropy(head(out.squeeze(1)), ids[1:])
    print(json.dumps({"nats_per_char": loss.item()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
