"""PyTorch peer for the engine benchmark: the same LLaMA config and batch, trained by torch.

Reads a JSON spec on stdin: {config: HF config.json dict, batch, seq, steps, warmup, trainable: [names] | null}
and prints {tokensPerSec, stepMs, threads} as JSON. Uses the hand-written reference model of
test/fixtures/torch_llama.py with torch.optim.AdamW, on Debian's torch (/usr/bin/python3).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures"))
import torch_llama as ref  # noqa: E402


def main():
    spec = json.load(sys.stdin)
    cfg = ref.Config(spec["config"])
    gen = torch.Generator().manual_seed(0)
    w = ref.random_weights(cfg, gen)
    names = spec["trainable"] or list(w.keys())
    params = []
    for n in names:
        w[n] = w[n].clone().requires_grad_(True)
        params.append(w[n])
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    ids = torch.randint(0, cfg.vocab_size, (spec["batch"], spec["seq"]), generator=gen)
    times = []
    for step in range(spec["warmup"] + spec["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss, _ = ref.causal_lm_loss(ref.forward(cfg, w, ids), ids)
        loss.backward()
        opt.step()
        if step >= spec["warmup"]:
            times.append(time.perf_counter() - t0)
    step_s = sorted(times)[len(times) // 2]  # median, as the tfjs side reports
    print(json.dumps({"tokensPerSec": spec["batch"] * spec["seq"] / step_s, "stepMs": 1000 * step_s, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
