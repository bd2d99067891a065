/**
 * Loading rules on a tiny byte-level BPE built in code: special tokens as strings or AddedToken
 * objects, special_tokens_map.json, add_bos_token/add_eos_token the way Transformers v4 applies
 * them (LlamaTokenizerFast replaces the post-processor; other classes keep it), stop ids from
 * generation_config.json, vocabSize, chat_template forms, and every user-facing error.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer, tokenizerFromJson } from '../../../src-main/formats/tokenizer/index.js';
import { removeFolders, TINY_SPECIALS as S, tinyByteIds, tinyTokenizerJson, tokenizerErrorOf, writeFolder } from './helpers.js';

afterAll(removeFolders);

const TEXT = 'xyz'; // no merge applies: one id per byte
const BYTES = tinyByteIds(TEXT);
const baseConfig = { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' };

function tiny(config: Record<string, unknown>, json: Record<string, unknown> = tinyTokenizerJson(), generation?: object) {
  return tokenizerFromJson(json, config, generation);
}

describe('encode/decode on the tiny tokenizer', () => {
  it('merges apply and the round trip is exact', () => {
    const t = tiny(baseConfig);
    const vocab = (tinyTokenizerJson().model as { vocab: Record<string, number> }).vocab;
    const ids = t.encode(' the hello', { addSpecialTokens: false });
    expect(ids).toEqual([vocab['Ġthe'], vocab['Ġ'], vocab.hello]); // no "Ġh" merge
    expect(t.decode(ids)).toBe(' the hello');
    expect(t.encode(TEXT, { addSpecialTokens: false })).toEqual(BYTES);
  });

  it('empty input', () => {
    const t = tiny(baseConfig);
    expect(t.encode('', { addSpecialTokens: false })).toEqual([]);
    expect(t.encode('')).toEqual([S.bos]);
    expect(t.decode([])).toBe('');
  });

  it('special ids, skipSpecialTokens, and a non-special added token', () => {
    const t = tiny(baseConfig);
    expect([...t.specialIds].sort()).toEqual([S.bos, S.eos, S.pad]);
    const ids = t.encode('x<|user|>y</s>', { addSpecialTokens: false });
    expect(ids).toEqual([...tinyByteIds('x'), S.user, ...tinyByteIds('y'), S.eos]);
    expect(t.decode(ids, { skipSpecialTokens: true })).toBe('x<|user|>y');
    expect(t.decode(ids)).toBe('x<|user|>y</s>');
  });

  it('clean_up_tokenization_spaces: off unless the config turns it on (Transformers >= 4.45)', () => {
    const ids = tiny(baseConfig).encode('a , b', { addSpecialTokens: false });
    expect(tiny(baseConfig).decode(ids)).toBe('a , b');
    expect(tiny({ ...baseConfig, clean_up_tokenization_spaces: true }).decode(ids)).toBe('a, b');
  });

  it('vocabSize is the largest id + 1, added tokens included', () => {
    expect(tiny(baseConfig).vocabSize).toBe(266);
    const json = tinyTokenizerJson();
    (json.added_tokens as object[]).push({ id: 300, content: '<extra>', special: true, normalized: false });
    expect(tiny(baseConfig, json).vocabSize).toBe(301);
  });
});

describe('BOS/EOS as Transformers adds them', () => {
  it('a PreTrainedTokenizerFast keeps the post-processor (which adds <s> here)', () => {
    const t = tiny({ ...baseConfig, tokenizer_class: 'PreTrainedTokenizerFast' });
    expect(t.encode(TEXT)).toEqual([S.bos, ...BYTES]);
    expect(t.encode(TEXT, { addSpecialTokens: false })).toEqual(BYTES);
  });

  it('bos/eos may be AddedToken objects', () => {
    const t = tiny({ bos_token: { content: '<s>', lstrip: false, __type: 'AddedToken' }, eos_token: { content: '</s>' } });
    expect([t.bosToken, t.bosId, t.eosToken, t.eosId]).toEqual(['<s>', S.bos, '</s>', S.eos]);
  });

  it('LlamaTokenizerFast rebuilds the post-processor from add_bos_token/add_eos_token (defaults true/false)', () => {
    for (const cls of ['LlamaTokenizer', 'LlamaTokenizerFast', 'CodeLlamaTokenizerFast']) {
      expect(tiny({ ...baseConfig, tokenizer_class: cls }).encode(TEXT)).toEqual([S.bos, ...BYTES]);
      expect(tiny({ ...baseConfig, tokenizer_class: cls, add_eos_token: true }).encode(TEXT)).toEqual([S.bos, ...BYTES, S.eos]);
      // add_bos_token false wins over the post-processor in tokenizer.json, as in LlamaTokenizerFast.
      expect(tiny({ ...baseConfig, tokenizer_class: cls, add_bos_token: false }).encode(TEXT)).toEqual(BYTES);
      expect(tiny({ ...baseConfig, tokenizer_class: cls, add_eos_token: true }).encode(TEXT, { addSpecialTokens: false })).toEqual(BYTES);
    }
    // Even with no post-processor at all.
    const bare = { ...tinyTokenizerJson(), post_processor: null };
    expect(tiny({ ...baseConfig, tokenizer_class: 'LlamaTokenizerFast' }, bare).encode(TEXT)).toEqual([S.bos, ...BYTES]);
  });

  it('LlamaTokenizer class defaults <s>/</s> apply when the config names no tokens', () => {
    const t = tiny({ tokenizer_class: 'LlamaTokenizerFast' });
    expect([t.bosToken, t.eosToken, t.stopIds]).toEqual(['<s>', '</s>', [S.eos]]);
  });

  it('other classes: a true flag adds its token only where the post-processor does not', () => {
    const bare = { ...tinyTokenizerJson(), post_processor: null };
    expect(tiny({ ...baseConfig, add_bos_token: true }, bare).encode(TEXT)).toEqual([S.bos, ...BYTES]);
    expect(tiny({ ...baseConfig, add_bos_token: true }).encode(TEXT)).toEqual([S.bos, ...BYTES]); // not twice
    expect(tiny({ ...baseConfig, add_eos_token: true }).encode(TEXT)).toEqual([S.bos, ...BYTES, S.eos]);
    expect(tiny({ ...baseConfig, add_bos_token: false }, bare).encode(TEXT)).toEqual(BYTES);
  });

  it('add_bos_token true without a usable bos_token is refused', () => {
    let err = tokenizerErrorOf(() => tiny({ tokenizer_class: 'LlamaTokenizerFast', bos_token: null }));
    expect(err.message).toBe('tokenizer_config.json: add_bos_token is true but there is no bos_token');
    err = tokenizerErrorOf(() => tiny({ tokenizer_class: 'LlamaTokenizerFast', bos_token: '<bos>' }));
    expect(err.message).toBe('tokenizer_config.json: add_bos_token is true but bos_token "<bos>" is not in the vocabulary');
  });

  it('stopIds: eos plus generation_config eos_token_id (int or list), deduplicated', () => {
    expect(tiny(baseConfig).stopIds).toEqual([S.eos]);
    expect(tiny(baseConfig, undefined, { eos_token_id: S.pad }).stopIds).toEqual([S.eos, S.pad]);
    expect(tiny(baseConfig, undefined, { eos_token_id: [S.eos, S.user, S.pad, S.user] }).stopIds).toEqual([S.eos, S.user, S.pad]);
    expect(tiny({}, undefined, { eos_token_id: [S.pad] }).stopIds).toEqual([S.pad]);
    expect(tiny({}).stopIds).toEqual([]);
  });

  it("leaves the caller's JSON objects untouched", () => {
    const json = tinyTokenizerJson();
    const config = { ...baseConfig, bos_token: { content: '<s>' }, tokenizer_class: 'LlamaTokenizerFast', add_eos_token: true };
    const [jsonCopy, configCopy] = [structuredClone(json), structuredClone(config)];
    tiny(config, json).encode('hello');
    expect(json).toEqual(jsonCopy);
    expect(config).toEqual(configCopy);
  });
});

describe('loading a folder', () => {
  it('reads all the files; special_tokens_map.json overrides tokenizer_config.json', () => {
    const dir = writeFolder({
      'tokenizer.json': tinyTokenizerJson(),
      'tokenizer_config.json': { bos_token: '<s>', eos_token: '<pad>', tokenizer_class: 'LlamaTokenizerFast' },
      'special_tokens_map.json': { eos_token: { content: '</s>', special: true } },
      'generation_config.json': { eos_token_id: [S.eos, S.pad] },
    });
    const t = loadTokenizer(dir);
    expect([t.eosToken, t.eosId, t.stopIds]).toEqual(['</s>', S.eos, [S.eos, S.pad]]);
    expect(t.encode(TEXT)).toEqual([S.bos, ...BYTES]);
    expect(t.hasChatTemplate).toBe(false);
  });

  it('nothing is cached between loads: the same folder re-read sees new files', () => {
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'tokenizer_config.json': { ...baseConfig, tokenizer_class: 'LlamaTokenizerFast' } });
    expect(loadTokenizer(dir).encode(TEXT)).toEqual([S.bos, ...BYTES]);
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...baseConfig, tokenizer_class: 'LlamaTokenizerFast', add_bos_token: false }));
    expect(loadTokenizer(dir).encode(TEXT)).toEqual(BYTES);
  });

  it('chat_template: a string, a list with "default", or chat_template.jinja (which wins)', () => {
    const msgs = [{ role: 'user' as const, content: 'hi' }];
    const tpl = (tag: string) => `${tag}{% for m in messages %}{{ m.role }}:{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}{{ eos_token }}`;
    expect(tiny({ ...baseConfig, chat_template: tpl('S') }).applyChatTemplate(msgs, { addGenerationPrompt: true })).toBe('Suser:hi></s>');
    const list = [{ name: 'tool_use', template: tpl('T') }, { name: 'default', template: tpl('D') }];
    expect(tiny({ ...baseConfig, chat_template: list }).applyChatTemplate(msgs)).toBe('Duser:hi</s>');
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'tokenizer_config.json': { ...baseConfig, chat_template: tpl('C') }, 'chat_template.jinja': tpl('J') });
    expect(loadTokenizer(dir).applyChatTemplate(msgs)).toBe('Juser:hi</s>');
  });
});

describe('errors name the file', () => {
  it('missing tokenizer.json', () => {
    const dir = writeFolder({ 'tokenizer_config.json': baseConfig });
    const err = tokenizerErrorOf(() => loadTokenizer(dir));
    expect(err.code).toBe('MISSING_FILE');
    expect(err.message).toBe(`${join(dir, 'tokenizer.json')}: not found; a model folder needs tokenizer.json (the Hugging Face fast-tokenizer file)`);
  });

  it('invalid JSON, with the line', () => {
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'tokenizer_config.json': '{\n  "bos_token": "<s>",\n  "eos_token": </s>\n}' });
    const err = tokenizerErrorOf(() => loadTokenizer(dir));
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message).toMatch(new RegExp(`^${escape(join(dir, 'tokenizer_config.json'))}: invalid JSON at line 3, column 16: unexpected "<"$`));
    const dir2 = writeFolder({ 'tokenizer.json': '{"model": ' });
    expect(tokenizerErrorOf(() => loadTokenizer(dir2)).message).toBe(`${join(dir2, 'tokenizer.json')}: invalid JSON at line 1, column 11: unexpected end of file`);
    const dir3 = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'generation_config.json': '{"eos_token_id": [1, 2,]}' });
    expect(tokenizerErrorOf(() => loadTokenizer(dir3)).message).toBe(`${join(dir3, 'generation_config.json')}: invalid JSON at line 1, column 24: unexpected "]"`);
  });

  it("line and column agree with Python's json module", () => {
    const broken = ['{"a": 1,}', '{"a" 1}', '[1, 2', '{"a": "x\ty"}', '{"a": "\\q"}', '{"a": tru}', '{"a": 01}', '{"a": 1} x',
      '\n\n  {"b": [1, {"c": -}]}', '', '{"a": 1.}', "{'a': 1}", '{\n "é😀": [\n  "ok",\n  oops\n ]\n}'];
    const py = spawnSync('/usr/bin/python3', ['-c', PY_JSON_POSITIONS], { input: JSON.stringify(broken), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const expected = JSON.parse(py.stdout) as [number, number][];
    broken.forEach((text, k) => {
      const dir = writeFolder({ 'tokenizer.json': text });
      const m = /invalid JSON at line (\d+), column (\d+)/.exec(tokenizerErrorOf(() => loadTokenizer(dir)).message);
      expect(m && [Number(m[1]), Number(m[2])], JSON.stringify(text)).toEqual(expected[k]);
    });
  });

  it('unsupported tokenizer model, or not a tokenizer file at all', () => {
    const wordLevel = { ...tinyTokenizerJson(), model: { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' } };
    let err = tokenizerErrorOf(() => tiny(baseConfig, wordLevel));
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toBe('tokenizer.json: unsupported tokenizer model "WordLevel" (supported: BPE, Unigram, WordPiece)');
    err = tokenizerErrorOf(() => tokenizerFromJson({ vocab: {} }, {}, undefined, '/models/x'));
    expect(err.message).toBe(`${join('/models/x', 'tokenizer.json')}: not a Hugging Face tokenizer file (no "model" object)`);
    const badPre = { ...tinyTokenizerJson(), pre_tokenizer: { type: 'NoSuchPreTokenizer' } };
    err = tokenizerErrorOf(() => tiny(baseConfig, badPre));
    expect(err.message).toMatch(/^tokenizer\.json: cannot build the tokenizer: .*NoSuchPreTokenizer/);
  });

  it('wrong shapes in the configs', () => {
    expect(tokenizerErrorOf(() => tiny({ eos_token: 7 })).message).toBe('tokenizer_config.json: "eos_token" must be a string or an object with "content", got 7');
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'tokenizer_config.json': baseConfig, 'special_tokens_map.json': { bos_token: ['<s>'] } });
    expect(tokenizerErrorOf(() => loadTokenizer(dir)).message).toBe(`${join(dir, 'special_tokens_map.json')}: "bos_token" must be a string or an object with "content", got ["<s>"]`);
    expect(tokenizerErrorOf(() => tiny({ add_bos_token: 'yes' })).message).toBe('tokenizer_config.json: "add_bos_token" must be true or false, got "yes"');
    expect(tokenizerErrorOf(() => tiny(baseConfig, undefined, { eos_token_id: '2' })).message)
      .toBe('generation_config.json: "eos_token_id" must be an id or a list of ids, got "2"');
  });

  it('no chat template', () => {
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'tokenizer_config.json': baseConfig });
    const err = tokenizerErrorOf(() => loadTokenizer(dir).applyChatTemplate([{ role: 'user', content: 'hi' }]));
    expect(err.code).toBe('NO_CHAT_TEMPLATE');
    expect(err.message.startsWith(`${join(dir, 'tokenizer_config.json')}: has no chat_template`)).toBe(true);
  });

  it('a list of templates without "default"', () => {
    const t = tiny({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'rag', template: 'y' }] });
    expect(t.hasChatTemplate).toBe(true);
    const err = tokenizerErrorOf(() => t.applyChatTemplate([]));
    expect(err.message).toBe('tokenizer_config.json: chat_template has several templates ("tool_use", "rag") and none named "default"');
  });

  it("a template's raise_exception message reaches the user, naming the file it came from", () => {
    const raising = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user message') }}{% endif %}ok";
    const dir = writeFolder({ 'tokenizer.json': tinyTokenizerJson(), 'chat_template.jinja': raising });
    const t = loadTokenizer(dir);
    expect(t.applyChatTemplate([{ role: 'user', content: 'a' }])).toBe('ok');
    const err = tokenizerErrorOf(() => t.applyChatTemplate([{ role: 'assistant', content: 'a' }]));
    expect(err.code).toBe('TEMPLATE_RAISED');
    expect(err.message).toBe(`${join(dir, 'chat_template.jinja')}: chat_template refused the conversation: Conversation must start with a user message`);
  });
});

/** Reads a JSON list of strings on stdin; prints [lineno, colno] of each one's JSONDecodeError. */
const PY_JSON_POSITIONS = `
import json, sys
out = []
for text in json.load(sys.stdin):
    try:
        json.loads(text)
        out.append(None)
    except json.JSONDecodeError as e:
        out.append([e.lineno, e.colno])
print(json.dumps(out))
`;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
