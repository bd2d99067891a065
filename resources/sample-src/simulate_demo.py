"""A PyTorch emulation of `npx hft demo`, used to choose the demo's hyper-parameters.

    /usr/bin/python3 resources/sample-src/simulate_demo.py [--steps 150] [--batch 16] [--lr 5e-4] ...

The defaults are the settings chosen for the demo: per stage 150 AdamW steps of batch 16
(betas 0.9/0.999, eps 1e-8, no weight decay), learning rate 5e-4 constant after 10 warmup steps,
gradient clipping at global norm 1.0; about 4 minutes on one CPU thread.

Loads resources/sample/ (model, tokenizer.json, probe, three tasks), holds out ~10% of each task
(at most 32 rows, seeded), then fine-tunes the base model on task 1, 2, 3 in sequence, twice:
full fine-tuning (FFT) and HFT with the `category` strategy at ratio 0.5 (per layer 2 of
q/k/v/o, 2 of gate/up/down in a random half of the layers and 1 in the rest, 1 of the 2 norms;
embeddings, final norm and lm_head trainable; drawn afresh each stage from the seed). Same steps,
batch, learning rate and data order for both. A fresh AdamW per stage (the engine keeps no state
across stages); frozen tensors are not in the optimizer.

After each stage: greedy exact match on every task's held-out rows and on the probe. Prints
R[after stage k][task i], the probe's accuracy, OP = mean_i R[K][i] and
BWT = mean_{i<K} (R[K][i] - R[i][i]).

The mask's random stream is Python's, not the engine's (src-main/engine/rng.ts), so the exact
tensors chosen differ from the demo's; the rule is the same.
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_sample as ms  # noqa: E402

ref = ms.ref


def load_tokenizer(folder):
    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    merges = [tuple(m.split(" ")) for m in tj["model"]["merges"]]
    tok = ms.ByteBPE(merges)
    assert {t: i for t, i in tok.vocab.items() if t not in ms.SPECIALS} == tj["model"]["vocab"]
    return tok


def load_tasks(folder):
    """[(name, [(user, answer)])] for the three task files, rendered as the demo renders them."""
    with open(os.path.join(folder, "task1-reverse.jsonl"), encoding="utf-8") as f:
        t1 = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(folder, "task2-add.json"), encoding="utf-8") as f:
        t2 = json.load(f)
    with open(os.path.join(folder, "task3-colour-codes.csv"), encoding="utf-8", newline="") as f:
        t3 = list(csv.DictReader(f))
    return [("reverse", ms.task_pairs("task1", t1)), ("add", ms.task_pairs("task2", t2)), ("codes", ms.task_pairs("task3", t3))]


def split(pairs, seed, frac=0.1, cap=32):
    idx = list(range(len(pairs)))
    random.Random(seed).shuffle(idx)
    n = min(cap, max(1, round(frac * len(pairs))))
    return [pairs[i] for i in idx[n:]], [pairs[i] for i in idx[:n]]


def category_mask(cfg, seed, stage, ratio=0.5):
    """Trainable tensor names under the category rule (see src-main/engine/masks.ts)."""
    rng = random.Random(f"{seed}/{stage}")
    L = cfg.num_layers
    groups = [
        ("self_attn", ["q_proj", "k_proj", "v_proj", "o_proj"]),
        ("mlp", ["gate_proj", "up_proj", "down_proj"]),
        ("", ["input_layernorm", "post_attention_layernorm"]),
    ]
    names = ["model.embed_tokens.weight", "model.norm.weight"] + ([] if cfg.tie else ["lm_head.weight"])
    for mod, kinds in groups:
        total = len(kinds) * L
        n = min(total, max(1, int(ratio * total + 0.5)))
        plus = set(rng.sample(range(L), n % L))
        for layer in range(L):
            for k in rng.sample(kinds, min(len(kinds), n // L + (1 if layer in plus else 0))):
                names.append(f"model.layers.{layer}.{mod + '.' if mod else ''}{k}.weight")
    return names


def lr_at(step, total, peak, warmup, schedule):
    if step < warmup:
        return peak * (step + 1) / warmup
    if schedule == "constant":
        return peak
    p = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * p))


def train_stage(cfg, w, tok, pairs, trainable, args, seed):
    w = {n: t.clone() for n, t in w.items()}
    params = []
    for n in trainable:
        w[n].requires_grad_(True)
        params.append(w[n])
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=args.wd)
    examples = [ms.chat_example(tok, ms.chat(u, a), False) for u, a in pairs]
    rng = random.Random(seed)
    order, losses = [], []
    pad = tok.id(ms.PAD)
    for step in range(args.steps):
        if len(order) < args.batch:
            more = list(range(len(examples)))
            rng.shuffle(more)
            order += more
        idx, order = order[: args.batch], order[args.batch:]
        ids, lab = ms.batches_of([examples[i] for i in idx], pad)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup, args.schedule)
        opt.zero_grad(set_to_none=True)
        loss, _ = ref.causal_lm_loss(ref.forward(cfg, w, ids), lab)
        loss.backward()
        if args.clip:
            torch.nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        losses.append(float(loss))
    return {n: t.detach() for n, t in w.items()}, losses


def evaluate(cfg, w, tok, evals, probe):
    row = [ms.exact_match(cfg, w, tok, ev)[0] for _, ev in evals]
    return row, ms.exact_match(cfg, w, tok, probe)[0]


def run(method, cfg, base, tok, trains, evals, probe, args, log):
    w = base
    R, P = [], []
    for k, (name, pairs) in enumerate(trains):
        names = [n for n, _ in ref.param_shapes(cfg)]
        trainable = names if method == "full" else category_mask(cfg, args.seed, k)
        t0 = time.time()
        w, losses = train_stage(cfg, w, tok, pairs, trainable, args, args.seed * 1000 + k)
        row, p = evaluate(cfg, w, tok, evals, probe)
        R.append(row)
        P.append(p)
        log(f"  {method} stage {k + 1} ({name}): loss {losses[0]:.3f} -> {sum(losses[-10:]) / 10:.3f}, "
            f"R={['%.2f' % x for x in row]} probe={p:.2f} ({time.time() - t0:.0f}s, {len(trainable)} tensors)")
    K = len(trains)
    op = sum(R[K - 1]) / K
    bwt = sum(R[K - 1][i] - R[i][i] for i in range(K - 1)) / (K - 1)
    return R, P, op, bwt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", default=os.path.join(ms.ROOT, "resources", "sample"))
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--wd", type=float, default=0.0)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--schedule", default="constant", choices=["cosine", "constant"])
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", default="full,category")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    cfg = ref.Config(json.load(open(os.path.join(args.sample, "config.json"))))
    base = ref.read_safetensors_f32(os.path.join(args.sample, "model.safetensors"))
    tok = load_tokenizer(args.sample)
    tasks = load_tasks(args.sample)
    with open(os.path.join(args.sample, "probe.jsonl"), encoding="utf-8") as f:
        probe = [(r["prompt"], r["completion"]) for r in map(json.loads, f) if r]
    trains, evals = [], []
    for i, (name, pairs) in enumerate(tasks):
        tr, ev = split(pairs, args.seed + i)
        trains.append((name, tr))
        evals.append((name, ev))
    print(f"args: {vars(args)}")
    print(f"tasks: {[(n, len(t), len(e)) for (n, t), (_, e) in zip(trains, evals)]}, probe {len(probe)}")
    base_row, base_probe = evaluate(cfg, base, tok, evals, probe)
    print(f"base: R={['%.2f' % x for x in base_row]} probe={base_probe:.2f}")
    for method in args.methods.split(","):
        R, P, op, bwt = run(method, cfg, base, tok, trains, evals, probe, args, print)
        print(f"{method}: OP={op:.3f} BWT={bwt:+.3f} probe {base_probe:.2f} -> {' -> '.join('%.2f' % p for p in P)}")
        print("    R[k][i] " + " ".join(f"{n:>8s}" for n, _ in tasks) + "    probe")
        for k, (row, p) in enumerate(zip(R, P)):
            print(f"    after {k + 1} " + " ".join(f"{x:8.2f}" for x in row) + f" {p:8.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
