"""Builds the embedded sample in resources/sample/: a tiny LLaMA model, its tokenizer, a probe of
what it knows, and three small fine-tuning tasks (`npx hft demo` runs HFT vs FFT on them).

Run from the repository root with Debian's PyTorch (the `python3` on PATH has no torch):

    /usr/bin/python3 resources/sample-src/make_sample.py [OUT_DIR [IDS_DIR]]

OUT_DIR (default resources/sample) gets the sample; IDS_DIR (default resources/sample-src) gets
token-ids.json, the Python tokenizer's ids for a few strings, which test/resources/sample.test.ts
compares with @huggingface/tokenizers.

Deterministic: fixed seeds, one CPU thread, no dict/set iteration order that depends on hashing;
running it twice writes byte-identical files (checked by sha256). About 4 minutes on this
project's 2-core machine (1600 pretraining steps of batch 32).

What it does, top to bottom:
1. Made-up "world knowledge": 40 facts in 4 relations (country -> capital, element -> colour,
   person -> job, creature -> home). The probe (probe.jsonl) asks 32 of them.
2. Pretraining corpus: those facts as ChatML Q&A (several phrasings) and as plain text, plus
   small "skills" (repeat / first / middle / last letter of a hyphen-spelled word, the number
   after / before N) that make the fine-tuning tasks learnable in ~150 steps without teaching them.
3. A byte-level BPE tokenizer (GPT-2 style: ByteLevel pre-tokenizer with the GPT-2 split regex,
   ByteLevel decoder), 256 byte tokens (id = byte value) + 251 merges learned on the pretraining
   corpus + 5 special tokens (ids 507-511) = 512 ids.
   The post-processor prepends <|bos|> (TemplateProcessing, like Llama 3), and the chat
   template also starts with {{ bos_token }}: so a rendered chat is encoded WITHOUT special
   tokens (what Transformers' apply_chat_template does), plain text WITH them.
4. A 4-layer LLaMA (hidden 64, 4 heads, 2 KV heads, SwiGLU 176, untied lm_head) pretrained from
   scratch with AdamW on that corpus, using the independent reference in
   test/fixtures/torch_llama.py (the one the engine is tested against), saved as F32 safetensors.
5. Three tasks in three formats/containers, none of which the base model can do (0% exact match):
   task1-reverse.jsonl (alpaca: reverse b-o-k, 200 rows), task2-add.json (messages, JSON array:
   add two numbers 1-5, 150 rows), task3-colour-codes.csv (prompt/completion CSV: a made-up
   hyphen-spelled code per colour, 150 rows).
"""
import csv
import io
import json
import math
import os
import random
import re
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "fixtures"))
import torch_llama as ref  # noqa: E402

SEED = 20240427

# ----------------------------------------------------------------------------- model config

BOS, EOT, IM_START, IM_END, PAD = "<|bos|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIALS = [BOS, EOT, IM_START, IM_END, PAD]
VOCAB_SIZE = 512  # 256 bytes + merges + specials
MAX_LEN = 64  # every sequence of the sample fits (checked below and in the test)

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": VOCAB_SIZE,
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "max_position_embeddings": 128,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "rms_norm_eps": 1e-05,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "mlp_bias": False,
    "initializer_range": 0.02,
    "tie_word_embeddings": False,
    "use_cache": True,
    "torch_dtype": "float32",
    "transformers_version": "4.44.0",
}

# ChatML. `'\n'` is a Jinja string escape (both Transformers' Jinja and @huggingface/jinja read it).
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def render_chat(messages, add_generation_prompt=False):
    """What CHAT_TEMPLATE renders (bos_token = <|bos|>); the test checks the two agree."""
    s = BOS + "".join(f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n" for m in messages)
    return s + (f"{IM_START}assistant\n" if add_generation_prompt else "")


# ----------------------------------------------------------------------------- the world

COUNTRIES = [  # country, capital
    ("Zorbia", "Plimsk"), ("Quendor", "Mavli"), ("Tarvania", "Drell"), ("Belloria", "Kintz"),
    ("Fennick", "Rusko"), ("Gorvath", "Essel"), ("Lumeria", "Pondo"), ("Skarnia", "Velt"),
    ("Dravonia", "Hulm"), ("Yestria", "Corro"),
]
ELEMENTS = [  # element, colour
    ("vantium", "green"), ("brelium", "blue"), ("sorium", "red"), ("katonium", "yellow"),
    ("mirium", "purple"), ("feltium", "orange"), ("dobium", "white"), ("lurium", "black"),
    ("zintium", "pink"), ("quarium", "grey"),
]
PEOPLE = [  # person, job
    ("Mira Tosk", "baker"), ("Edo Varn", "pilot"), ("Lina Brisk", "doctor"), ("Tomas Kell", "farmer"),
    ("Ada Frune", "teacher"), ("Pell Ostin", "painter"), ("Rina Solt", "singer"), ("Ivo Dunn", "sailor"),
    ("Nessa Lorn", "judge"), ("Bram Tilly", "miner"),
]
CREATURES = [  # creature, home
    ("glimmet", "forest"), ("snorp", "river"), ("wabble", "desert"), ("trindle", "mountain"),
    ("flurr", "cave"), ("mopple", "swamp"), ("quibbin", "meadow"), ("zarkel", "ocean"),
    ("pindle", "jungle"), ("hoskin", "island"),
]

# (relation, facts, question phrasings (the first is the probe's), statement phrasings)
RELATIONS = [
    ("capital", COUNTRIES,
     ["What is the capital of {k}?", "Name the capital of {k}.", "Which city is the capital of {k}?"],
     ["The capital of {k} is {v}.", "{v} is the capital of {k}."]),
    ("colour", ELEMENTS,
     ["What colour is {k}?", "Name the colour of {k}.", "Which colour does {k} have?"],
     ["{k} is {v}.", "The colour of {k} is {v}."]),
    ("job", PEOPLE,
     ["What is the job of {k}?", "What does {k} do for work?", "Name the job of {k}."],
     ["{k} is a {v}.", "{k} works as a {v}."]),
    ("home", CREATURES,
     ["Where does the {k} live?", "Name the home of the {k}.", "Where can you find the {k}?"],
     ["The {k} lives in the {v}.", "You can find the {k} in the {v}."]),
]
PROBE_PER_RELATION = 8  # 32 probe items: the first 8 facts of each relation

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Task 3's made-up code words, one per colour, spelled with hyphens like task 1's words. The
# colours are the element colours on purpose: learning "code for green" competes with
# "vantium is green". (Codes as fresh words, never output in pretraining, made the stage far more
# destructive for both methods: a first loss near 10 and every earlier answer lost.)
COLOUR_CODES = [
    ("red", "tam"), ("blue", "vok"), ("green", "zel"), ("yellow", "pim"), ("purple", "rud"),
    ("orange", "fex"), ("white", "lom"), ("black", "dax"), ("pink", "nib"), ("grey", "sug"),
]


def fact_rows():
    """[(relation, key, value, question phrasings, statement phrasings)] in a fixed order."""
    return [(rel, k, v, qs, ss) for rel, facts, qs, ss in RELATIONS for k, v in facts]


def cap(s):
    return s[0].upper() + s[1:]


def hyphenate(word):
    return "-".join(word)


def random_word(rng, n=3):
    """n random letters, first != last (so no palindromes: reversing always changes it)."""
    while True:
        w = "".join(rng.choice(LETTERS) for _ in range(n))
        if w[0] != w[-1]:
            return w


# ----------------------------------------------------------------------------- corpus


def chat(user, assistant):
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def skill_chat(rng):
    """A small skill the tasks can build on (not one of the tasks themselves)."""
    kind = rng.randrange(6)
    if kind < 4:
        w = random_word(rng)
        if kind == 0:
            return chat("Repeat the letters.\n\n" + hyphenate(w), hyphenate(w))
        if kind == 1:
            return chat("Give the first letter.\n\n" + hyphenate(w), w[0])
        if kind == 2:
            return chat("Give the last letter.\n\n" + hyphenate(w), w[-1])
        return chat("Give the middle letter.\n\n" + hyphenate(w), w[1])
    n = rng.randrange(1, 19)
    if kind == 4:
        return chat(f"What number comes after {n}?", str(n + 1))
    return chat(f"What number comes before {n}?", str(n - 1))


def fact_text(rng, facts):
    """A short plain-text 'document' of 2-4 facts, statement phrasings at random."""
    picked = rng.sample(facts, rng.randint(2, 4))
    return " ".join(cap(rng.choice(ss).format(k=k, v=v)) for _, k, v, _, ss in picked)


def pretraining_corpus(n_docs):
    """[(kind, payload)]: ('chat', messages) or ('text', str); deterministic."""
    rng = random.Random(SEED)
    facts = fact_rows()
    docs = []
    # every (fact, question phrasing) pair several times, so each fact is learned well
    for _ in range(6):
        for _, k, v, qs, _ in facts:
            for q in qs:
                docs.append(("chat", chat(q.format(k=k), v)))
    while len(docs) < n_docs:
        r = rng.random()
        if r < 0.35:
            _, k, v, qs, _ = rng.choice(facts)
            docs.append(("chat", chat(rng.choice(qs).format(k=k), v)))
        elif r < 0.65:
            docs.append(("text", fact_text(rng, facts)))
        else:
            docs.append(("chat", skill_chat(rng)))
    rng.shuffle(docs)
    return docs


def probe_rows():
    out = []
    for rel, facts, qs, _ in RELATIONS:
        for k, v in facts[:PROBE_PER_RELATION]:
            out.append({"prompt": qs[0].format(k=k), "completion": v, "relation": rel})
    return out


def task1_rows():
    """Alpaca: reverse a hyphenated 3-letter word. 200 distinct words."""
    rng = random.Random(SEED + 1)
    seen, rows = set(), []
    while len(rows) < 200:
        w = random_word(rng)
        if w in seen:
            continue
        seen.add(w)
        rows.append({"instruction": "Reverse the letters.", "input": hyphenate(w), "output": hyphenate(w[::-1])})
    return rows


ADD_PHRASINGS = [
    "What is {a} plus {b}?", "Add {a} and {b}.", "What is the sum of {a} and {b}?", "Compute {a} + {b}.",
    "{a} plus {b} makes what?", "How much is {a} plus {b}?",
]


def task2_rows():
    """Messages: add two numbers 1-5; every (a, b) pair in 6 phrasings = 150 rows. (Sums of 0-9
    were not learned in the step budget: a held-out pair needs real arithmetic; here a held-out
    row is mostly a known sum asked another way.)"""
    rng = random.Random(SEED + 2)
    rows = [{"messages": chat(q.format(a=a, b=b), str(a + b))} for a in range(1, 6) for b in range(1, 6) for q in ADD_PHRASINGS]
    rng.shuffle(rows)
    return rows


CODE_PHRASINGS = [
    "What is the code for {c}?", "Give the code for {c}.", "Code word for {c}?",
    "Which code means {c}?", "Tell me the code for the colour {c}.", "What code stands for {c}?",
    "The code for {c} is what?", "Say the code for {c}.", "I need the code for {c}.",
    "Code for the colour {c}?", "Code please: {c}.", "Convert {c} to its code.",
    "What is {c} in code?", "{c} in code?", "Give me the {c} code.",
]


def task3_rows():
    """Prompt/completion: a made-up code per colour, hyphen-spelled; 10 colours x 15 phrasings = 150 rows."""
    rng = random.Random(SEED + 3)
    rows = [{"prompt": cap(p.format(c=c)), "completion": hyphenate(code)} for c, code in COLOUR_CODES for p in CODE_PHRASINGS]
    rng.shuffle(rows)
    return rows


# ----------------------------------------------------------------------------- tokenizer

# GPT-2's pre-tokenizer split (tokenizers' ByteLevel use_regex), restricted to ASCII, which is all
# this corpus holds (asserted): \p{L} -> [A-Za-z], \p{N} -> [0-9].
SPLIT_RE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def bytes_to_unicode():
    """GPT-2's byte -> printable character map (what ByteLevel uses)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pieces(text):
    assert all(ord(ch) < 128 for ch in text), f"non-ASCII text in the corpus: {text!r}"
    return ["".join(B2U[b] for b in p.encode("utf-8")) for p in SPLIT_RE.findall(text)]


class ByteBPE:
    """Byte-level BPE; ids 0-255 are the bytes in byte order, then merges, then SPECIALS."""

    def __init__(self, merges):
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.vocab = {B2U[b]: b for b in range(256)}
        for a, b in merges:
            self.vocab[a + b] = len(self.vocab)
        for s in SPECIALS:
            self.vocab[s] = len(self.vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.cache = {}

    @staticmethod
    def train(texts, n_merges):
        """Classic BPE on pre-tokenized pieces: repeatedly merge the most frequent pair
        (ties: the lexicographically smallest pair, so the result is deterministic)."""
        freq = {}
        for t in texts:
            for p in pieces(t):
                freq[p] = freq.get(p, 0) + 1
        words = [[list(p), c] for p, c in sorted(freq.items())]
        merges = []
        for _ in range(n_merges):
            pairs = {}
            for sym, c in words:
                for a, b in zip(sym, sym[1:]):
                    pairs[(a, b)] = pairs.get((a, b), 0) + c
            if not pairs:
                break
            best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            merges.append(best)
            for w in words:
                sym, out, i = w[0], [], 0
                while i < len(sym):
                    if i + 1 < len(sym) and (sym[i], sym[i + 1]) == best:
                        out.append(sym[i] + sym[i + 1])
                        i += 2
                    else:
                        out.append(sym[i])
                        i += 1
                w[0] = out
        return merges

    def _bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        sym = list(piece)
        while len(sym) > 1:
            ranked = [(self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(sym, sym[1:]))]
            r, i = min(ranked)
            if r == math.inf:
                break
            sym = sym[:i] + [sym[i] + sym[i + 1]] + sym[i + 2:]
        ids = [self.vocab[s] for s in sym]
        self.cache[piece] = ids
        return ids

    def encode(self, text, add_special_tokens=True):
        ids = [self.vocab[BOS]] if add_special_tokens else []
        for part in SPECIAL_RE.split(text):
            if part in SPECIALS:
                ids.append(self.vocab[part])
            elif part:
                for p in pieces(part):
                    ids.extend(self._bpe(p))
        return ids

    def decode(self, ids, skip_special_tokens=False):
        out, buf = [], []
        for i in ids:
            t = self.inv[i]
            if t in SPECIALS:
                out.append(bytes(buf).decode("utf-8", "replace"))
                buf = []
                if not skip_special_tokens:
                    out.append(t)
            else:
                buf.extend(U2B[ch] for ch in t)
        out.append(bytes(buf).decode("utf-8", "replace"))
        return "".join(out)

    def id(self, token):
        return self.vocab[token]

    def tokenizer_json(self):
        """tokenizer.json in the format of Hugging Face tokenizers 0.19+ (merges as "a b" strings,
        which older and newer readers both accept; byte-level symbols never contain a space)."""
        bos_id = self.vocab[BOS]
        added = [{"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for s in SPECIALS]
        bos = {"SpecialToken": {"id": BOS, "type_id": 0}}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": BOS, "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {BOS: {"id": BOS, "ids": [bos_id], "tokens": [BOS]}},
            },
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": {t: i for t, i in sorted(self.vocab.items(), key=lambda kv: kv[1]) if t not in SPECIALS},
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }


def tokenizer_config():
    decoder = {}
    for s in SPECIALS:
        decoder[str(VOCAB_SIZE - len(SPECIALS) + SPECIALS.index(s))] = {
            "content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "bos_token": BOS,
        "eos_token": IM_END,
        "pad_token": PAD,
        "unk_token": None,
        "clean_up_tokenization_spaces": False,
        "model_max_length": CONFIG["max_position_embeddings"],
        "tokenizer_class": "PreTrainedTokenizerFast",
        "chat_template": CHAT_TEMPLATE,
    }


# ----------------------------------------------------------------------------- examples -> ids


def chat_example(tok, messages, train_all):
    """(input_ids, labels). train_all: every token is a target (pretraining); otherwise only the
    assistant turns' content and their <|im_end|> are (what fine-tuning trains)."""
    ids, labels = [], []
    text = render_chat(messages)
    if train_all:
        ids = tok.encode(text, add_special_tokens=False)
        return ids, list(ids)
    done = ""
    for i, m in enumerate(messages):
        prefix = render_chat(messages[:i]) if i else BOS
        turn = render_chat(messages[: i + 1])
        assert turn.startswith(prefix) and turn.startswith(done)
        if m["role"] == "assistant":
            head = prefix + f"{IM_START}assistant\n"
            a = tok.encode(head[len(done):], add_special_tokens=False)
            b = tok.encode(m["content"] + IM_END, add_special_tokens=False)
            c = tok.encode("\n", add_special_tokens=False)
            ids += a + b + c
            labels += [-100] * len(a) + b + [-100] * len(c)
        else:
            a = tok.encode(turn[len(done):], add_special_tokens=False)
            ids += a
            labels += [-100] * len(a)
        done = turn
    assert ids == tok.encode(text, add_special_tokens=False), "chat tokenization is not a concatenation of its turns"
    return ids, labels


def text_example(tok, text):
    ids = tok.encode(text, add_special_tokens=True) + [tok.id(EOT)]
    return ids, list(ids)


def batches_of(examples, pad_id):
    """Right-padded [B, T] int64 ids and labels (-100 on padding)."""
    T = max(len(i) for i, _ in examples)
    ids = torch.full((len(examples), T), pad_id, dtype=torch.int64)
    lab = torch.full((len(examples), T), -100, dtype=torch.int64)
    for r, (i, l) in enumerate(examples):
        ids[r, : len(i)] = torch.tensor(i)
        lab[r, : len(l)] = torch.tensor(l)
    return ids, lab


@torch.no_grad()
def greedy(cfg, w, tok, prompt_ids, max_new=8):
    """Greedy decoding of a batch of prompts (left-aligned, each run alone: no padding effects)."""
    stops = {tok.id(IM_END), tok.id(EOT)}
    outs = []
    for p in prompt_ids:
        ids = list(p)
        gen = []
        for _ in range(max_new):
            nxt = int(ref.forward(cfg, w, torch.tensor([ids]))[0, -1].argmax())
            if nxt in stops:
                break
            gen.append(nxt)
            ids.append(nxt)
        outs.append(tok.decode(gen, skip_special_tokens=True))
    return outs


def exact_match(cfg, w, tok, pairs):
    """pairs: [(user prompt, expected answer)] -> (accuracy, answers)."""
    prompts = [tok.encode(render_chat([{"role": "user", "content": u}], True), add_special_tokens=False) for u, _ in pairs]
    got = greedy(cfg, w, tok, prompts)
    ok = [g.strip() == a.strip() for g, (_, a) in zip(got, pairs)]
    return sum(ok) / len(ok), got


# ----------------------------------------------------------------------------- training


def init_weights(cfg, gen):
    w = {}
    for name, shape in ref.param_shapes(cfg):
        if name.endswith("norm.weight"):
            t = torch.ones(shape)
        else:
            t = torch.randn(shape, generator=gen) * CONFIG["initializer_range"]
        w[name] = t.float().contiguous()
    return w


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def pretrain(cfg, tok, examples, steps, batch, lr, log=print):
    gen = torch.Generator().manual_seed(SEED)
    w = init_weights(cfg, gen)
    for t in w.values():
        t.requires_grad_(True)
    decay = [t for n, t in w.items() if not n.endswith("norm.weight")]
    no_decay = [t for n, t in w.items() if n.endswith("norm.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8)
    rng = random.Random(SEED + 10)
    queue = []
    pad = tok.id(PAD)
    t0 = time.time()
    for step in range(steps):
        if not queue:
            # an epoch: shuffle, then batch rows of similar length together (less padding, ~2x
            # faster), then shuffle the batches
            order = list(range(len(examples)))
            rng.shuffle(order)
            chunk = batch * 64
            for c in range(0, len(order), chunk):
                part = sorted(order[c:c + chunk], key=lambda i: len(examples[i][0]))
                queue += [part[b:b + batch] for b in range(0, len(part) - batch + 1, batch)]
            rng.shuffle(queue)
        idx = queue.pop()
        ids, lab = batches_of([examples[i] for i in idx], pad)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, 100)
        opt.zero_grad(set_to_none=True)
        loss, _ = ref.causal_lm_loss(ref.forward(cfg, w, ids), lab)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(w.values()), 1.0)
        opt.step()
        if step % 250 == 0 or step == steps - 1:
            log(f"  step {step:5d}  loss {float(loss):.4f}  {time.time() - t0:.0f}s")
    return {n: t.detach().clone() for n, t in w.items()}


# ----------------------------------------------------------------------------- writing


def dump_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def write_csv(path, rows, fields):
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    wr.writeheader()
    for r in rows:
        wr.writerow(r)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def task_pairs(name, rows):
    """(user prompt, answer) per row, rendered the way the demo renders each format:
    alpaca -> user = instruction + "\\n\\n" + input; messages -> as is; prompt/completion -> user = prompt."""
    if name == "task1":
        return [(r["instruction"] + ("\n\n" + r["input"] if r["input"] else ""), r["output"]) for r in rows]
    if name == "task2":
        return [(r["messages"][0]["content"], r["messages"][1]["content"]) for r in rows]
    return [(r["prompt"], r["completion"]) for r in rows]


def build_tokenizer(corpus):
    """Merges learned on the pretraining corpus only (as a real tokenizer never sees the
    fine-tuning data): the tasks' words may split into smaller pieces, but every token the tasks
    use was trained in pretraining."""
    texts = []
    for kind, payload in corpus:
        texts += [m["content"] for m in payload] + ["user\n", "assistant\n", "\n"] if kind == "chat" else [payload]
    n_merges = VOCAB_SIZE - 256 - len(SPECIALS)
    return ByteBPE(ByteBPE.train(texts, n_merges))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "resources", "sample")
    src_out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "resources", "sample-src")
    os.makedirs(out, exist_ok=True)
    os.makedirs(src_out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    steps = int(os.environ.get("SAMPLE_STEPS", "1600"))

    corpus = pretraining_corpus(12000)
    tasks = {"task1": task1_rows(), "task2": task2_rows(), "task3": task3_rows()}
    tok = build_tokenizer(corpus)
    assert len(tok.vocab) == VOCAB_SIZE, len(tok.vocab)

    examples = [chat_example(tok, p, True) if k == "chat" else text_example(tok, p) for k, p in corpus]
    longest = max(len(i) for i, _ in examples)
    print(f"corpus: {len(examples)} docs, {sum(len(i) for i, _ in examples)} tokens, longest {longest}")
    assert longest <= MAX_LEN

    cfg = ref.Config(CONFIG)
    w = pretrain(cfg, tok, examples, steps=steps, batch=32, lr=3e-3)

    probe = probe_rows()
    acc, got = exact_match(cfg, w, tok, [(p["prompt"], p["completion"]) for p in probe])
    print(f"probe exact match: {acc:.3f}")
    for p, g in zip(probe, got):
        if g.strip() != p["completion"]:
            print(f"  miss: {p['prompt']!r} -> {g!r} (want {p['completion']!r})")
    for name, rows in tasks.items():
        a, g = exact_match(cfg, w, tok, task_pairs(name, rows)[:32])
        print(f"base model on {name}: {a:.3f}  e.g. {g[:3]}")

    # files
    dump_json(os.path.join(out, "config.json"), CONFIG)
    dump_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": tok.id(BOS), "eos_token_id": [tok.id(IM_END), tok.id(EOT)], "pad_token_id": tok.id(PAD),
        "do_sample": False, "max_new_tokens": 16, "transformers_version": CONFIG["transformers_version"]})
    ref.write_safetensors(os.path.join(out, "model.safetensors"), [(n, w[n]) for n, _ in ref.param_shapes(cfg)],
                          "F32", {"format": "pt"})
    dump_json(os.path.join(out, "tokenizer.json"), tok.tokenizer_json())
    dump_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config())
    dump_json(os.path.join(out, "special_tokens_map.json"), {"bos_token": BOS, "eos_token": IM_END, "pad_token": PAD})
    write_jsonl(os.path.join(out, "probe.jsonl"), [{"prompt": p["prompt"], "completion": p["completion"]} for p in probe])
    write_jsonl(os.path.join(out, "task1-reverse.jsonl"), tasks["task1"])
    dump_json(os.path.join(out, "task2-add.json"), tasks["task2"])
    write_csv(os.path.join(out, "task3-colour-codes.csv"), tasks["task3"], ["prompt", "completion"])
    # ids the Python tokenizer gives, for the JS tokenizer to be checked against (the model was
    # pretrained on these ids, so a JS tokenizer that disagrees would change what it answers)
    samples = [render_chat(chat(u, a)) for u, a in (task_pairs("task1", tasks["task1"][:3]) + task_pairs("task2", tasks["task2"][:3])
                                                    + task_pairs("task3", tasks["task3"][:3]))]
    samples += [fact_text(random.Random(SEED + 5), fact_rows()), "Hello world! 12 + 345 = 357.\n\n  tabs\tand  spaces"]
    dump_json(os.path.join(src_out, "token-ids.json"),
              {"note": "encode(text, add_special_tokens) as make_sample.py's ByteBPE computes it",
               "rows": [{"text": s, "add_special_tokens": False, "ids": tok.encode(s, False)} for s in samples]
               + [{"text": samples[-1], "add_special_tokens": True, "ids": tok.encode(samples[-1], True)}]})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
