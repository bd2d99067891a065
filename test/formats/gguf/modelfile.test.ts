/**
 * The Ollama Modelfile generator, checked against Ollama's own code rather than ours:
 * test/fixtures/ollama-template/render.go parses each generated Modelfile with (a copy of) Ollama's
 * Modelfile parser and renders its TEMPLATE with Go's text/template on the data Ollama passes for
 * /api/chat (SYSTEM prepended, same-role messages merged, .Messages of {Role, Content, ...}).
 * That prompt must equal the Jinja chat template's render of the same conversation with
 * add_generation_prompt, minus the BOS text the Jinja template writes first: Ollama's llama.cpp adds
 * BOS as a token (GGUF add_bos_token), so the TEMPLATE leaves it out (see modelfile.ts).
 * The Jinja side is our ChatTemplate, and where Debian's python3-jinja2 is present the same renders
 * are compared with Python jinja2 in Transformers' environment too.
 *
 * Needs Go (Debian package golang-go): without it the suite fails and says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelfile, type ModelfileInput } from '../../../src-main/formats/gguf/modelfile.js';
import { ChatTemplate, resolveChatTemplate } from '../../../src-main/formats/tokenizer/chat-template.js';
import { loadTokenizer, type ChatMessage } from '../../../src-main/formats/tokenizer/index.js';
import { modelDir } from '../tokenizer/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GO_DIR = join(ROOT, 'test/fixtures/ollama-template');
const PY = '/usr/bin/python3';
const hasJinja = spawnSync(PY, ['-c', 'import jinja2'], { encoding: 'utf8' }).status === 0;

let work = '';
let renderBin = '';

beforeAll(() => {
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error('Go is not installed (no `go` on PATH). These tests render Ollama templates with Go\'s text/template through test/fixtures/ollama-template/render.go; install Go with `apt-get install golang-go`.');
  }
  work = mkdtempSync(join(tmpdir(), 'hft-modelfile-'));
  renderBin = join(work, 'render');
  const env = { ...process.env, GOCACHE: join(work, 'gocache'), GOPATH: join(work, 'gopath'), GOFLAGS: '', GOPROXY: 'off', GO111MODULE: 'on', GOWORK: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
  const built = spawnSync('go', ['build', '-o', renderBin, '.'], { cwd: GO_DIR, env, encoding: 'utf8', timeout: 120_000 });
  if (built.status !== 0) throw new Error(`go build of ${GO_DIR} failed: ${built.stderr}${built.error ?? ''}`);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface GoCase { modelfile?: string; template?: string; system?: string; messages: ChatMessage[] }
interface GoResult { error?: string; from: string; template: string; system: string; stops: string[]; prompt: string }

/** Runs render.go once for a batch of cases. */
function ollama(cases: GoCase[]): GoResult[] {
  const r = spawnSync(renderBin, [], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`render.go failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as GoResult[];
}

/** Python jinja2 with Transformers' environment (the compile_template of the fixture script). */
function pythonJinja(cases: { template: string; tokens: Record<string, string>; messages: ChatMessage[] }[]): string[] {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'test/fixtures'))})`,
    'from make_chat_template_fixtures import compile_template',
    'out = [compile_template(c["template"]).render(messages=c["messages"], tools=None, documents=None, add_generation_prompt=True, **c["tokens"]) for c in json.load(sys.stdin)]',
    'sys.stdout.write(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python jinja2 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

interface Model { name: string; template: string; bos: string | null; eos: string | null; stops: string[] }

/** A model folder as the exporter will see it: the template from tokenizer_config.json, tokens and stop texts from the Tokenizer contract. */
function folder(name: string, dir: string): Model {
  const tok = loadTokenizer(dir);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: unknown };
  const template = resolveChatTemplate(config.chat_template, 'tokenizer_config.json');
  if (template === null) throw new Error(`${dir} has no chat template`);
  return { name, template, bos: tok.bosToken, eos: tok.eosToken, stops: tok.stopIds.map((id) => tok.decode([id])) };
}

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const MODELS: Model[] = [
  folder('sample', join(ROOT, 'resources/sample')),
  folder('qwen3', modelDir('qwen3')),
  folder('llama3', modelDir('llama3')),
  { name: 'chatml', template: CHATML, bos: null, eos: '<|im_end|>', stops: ['<|im_end|>'] },
];

const m = (role: ChatMessage['role'], content: string): ChatMessage => ({ role, content });
const TRICKY = 'He said "hi" and \'bye\'; {{ .Content }} {{- end }} {% raw %}{{ x }}{% endraw %} """ \\n C:\\path\nline two\n\nline four: héllo — 日本語 🙂 עברית <|im_end|>';
const CONVERSATIONS: Record<string, ChatMessage[]> = {
  single: [m('user', 'Hello!')],
  system_user: [m('system', 'You are a helpful assistant.'), m('user', 'What is 2+2?')],
  multi_turn: [m('system', 'Answer briefly.'), m('user', 'Name a prime.'), m('assistant', '7'), m('user', 'Another one?'), m('assistant', '11'), m('user', 'And one more?')],
  no_system_turns: [m('user', 'Hi'), m('assistant', 'Hello, how can I help?'), m('user', 'Tell me a joke.')],
  tricky: [m('system', TRICKY), m('user', TRICKY), m('assistant', TRICKY), m('user', `again: ${TRICKY}`)],
};

function jinja(model: Pick<Model, 'template' | 'bos' | 'eos'>, messages: ChatMessage[]): string {
  const tokens = { ...(model.bos !== null ? { bos_token: model.bos } : {}), ...(model.eos !== null ? { eos_token: model.eos } : {}) };
  return new ChatTemplate(model.template, 'tokenizer_config.json').render(messages, true, tokens);
}

function build(model: Pick<Model, 'template' | 'bos' | 'eos' | 'stops'>, extra: Partial<ModelfileInput> = {}) {
  return buildModelfile({ ggufFile: 'model.gguf', chatTemplate: model.template, tokens: { bos: model.bos, eos: model.eos }, stopTokens: model.stops, ...extra });
}

/** The prompt Ollama must see: the Jinja render without the BOS text it starts with (llama.cpp adds that token). */
function expectedPrompt(model: Model, messages: ChatMessage[]): string {
  const full = jinja(model, messages);
  return model.bos !== null && full.startsWith(model.bos) ? full.slice(model.bos.length) : full;
}

describe.each(MODELS)('$name chat template', (model) => {
  it('renders in Ollama exactly as the Jinja template renders for generation', () => {
    const { text } = build(model);
    const names = Object.keys(CONVERSATIONS);
    const results = ollama(names.map((n) => ({ modelfile: text, messages: CONVERSATIONS[n] })));
    names.forEach((n, i) => {
      expect(results[i].error, n).toBeUndefined();
      expect(results[i].prompt, n).toBe(expectedPrompt(model, CONVERSATIONS[n]));
    });
    // The BOS decision: the Jinja text writes it first (sample, llama3); the TEMPLATE never does.
    if (model.bos !== null && model.template.includes('bos_token')) {
      expect(jinja(model, CONVERSATIONS.single).startsWith(model.bos)).toBe(true);
      expect(results[0].template).not.toContain(model.bos);
    }
  });

  it('a Modelfile SYSTEM acts as a leading system message, and a client system message replaces it', () => {
    const system = 'Be brief.\nQuote "exactly", keep {{ braces }} and ünïcode.';
    const { text, warnings } = build(model, { system });
    expect(warnings.join(' ')).not.toMatch(/system prompt|leaves system messages out/);
    const [own, client] = ollama([
      { modelfile: text, messages: CONVERSATIONS.no_system_turns },
      { modelfile: text, messages: CONVERSATIONS.system_user },
    ]);
    expect(own.system).toBe(system);
    expect(own.prompt).toBe(expectedPrompt(model, [m('system', system), ...CONVERSATIONS.no_system_turns]));
    expect(client.prompt).toBe(expectedPrompt(model, CONVERSATIONS.system_user));
  });

  it('writes FROM and one PARAMETER stop per end token, read back by Ollama\'s parser', () => {
    const { text } = build(model);
    const [r] = ollama([{ modelfile: text, messages: CONVERSATIONS.single }]);
    expect(r.from).toBe('./model.gguf');
    expect(r.stops).toEqual([...new Set(model.stops)]);
    expect(text.split('\n').filter((l) => l.startsWith('FROM '))).toEqual(['FROM ./model.gguf']);
  });

  it.skipIf(!hasJinja)('our Jinja renders of these conversations equal Python jinja2\'s', () => {
    const tokens = { ...(model.bos !== null ? { bos_token: model.bos } : {}), ...(model.eos !== null ? { eos_token: model.eos } : {}) };
    const convs = Object.values(CONVERSATIONS);
    const py = pythonJinja(convs.map((messages) => ({ template: model.template, tokens, messages })));
    convs.forEach((messages, i) => expect(jinja(model, messages)).toBe(py[i]));
  });
});

describe('what cannot be made equal is warned about, and only that', () => {
  const padded = [m('system', '\n  Padded system.  \n'), m('user', '  Padded user.\n'), m('assistant', '\nPadded answer. '), m('user', 'Next?')];
  const thought = [m('user', 'Q1'), m('assistant', '<think>\nLet me see.\n</think>\n\nA1'), m('user', 'Q2')];

  it.each(MODELS)('$name: messages with edge whitespace or <think> in past answers', (model) => {
    const { text, warnings } = build(model);
    const [p, t] = ollama([{ modelfile: text, messages: padded }, { modelfile: text, messages: thought }]);
    const trimWarned = warnings.some((w) => /trims the spaces and newlines/.test(w));
    const thinkWarned = warnings.some((w) => /<think>/.test(w));
    // A warning exactly where Ollama's prompt really differs from the Jinja render.
    expect(trimWarned).toBe(p.prompt !== expectedPrompt(model, padded));
    expect(thinkWarned).toBe(t.prompt !== expectedPrompt(model, thought));
    expect(trimWarned).toBe(model.name === 'llama3'); // llama3's `| trim`
    expect(thinkWarned).toBe(model.name === 'qwen3'); // qwen3 drops reasoning before the last user turn
    expect(warnings.some((w) => /enable_thinking/.test(w))).toBe(model.name === 'qwen3');
    for (const w of warnings) expect(text).toContain(`# Warning: ${w}`);
  });
});

describe('templates beyond the four', () => {
  it('equals Ollama\'s own library templates for ChatML and Llama 3 (template/chatml.gotmpl, llama3-instruct.gotmpl)', () => {
    // Copied from github.com/ollama/ollama template/*.gotmpl (MIT): hand-written by Ollama for these families.
    const chatml = '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n';
    const llama3 = '{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n';
    const ours = (name: string) => build(MODELS.find((x) => x.name === name)!).text;
    const convs = Object.values(CONVERSATIONS);
    const cases = [[ours('chatml'), chatml], [ours('sample'), chatml], [ours('qwen3'), chatml], [ours('llama3'), llama3]];
    const batch = cases.flatMap(([modelfile, lib]) => convs.flatMap((messages) => [{ modelfile, messages }, { template: lib, messages }]));
    const out = ollama(batch);
    for (let i = 0; i < out.length; i += 2) {
      expect(out[i].error).toBeUndefined();
      expect(out[i].prompt).toBe(out[i + 1].prompt);
    }
  });

  it('reproduces a default system prompt that the template adds when the conversation has none', () => {
    const qwen25 = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- for message in messages %}{%- if not (message.role == 'system' and loop.first) %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
    const model: Model = { name: 'qwen2.5-like', template: qwen25, bos: null, eos: '<|im_end|>', stops: ['<|im_end|>'] };
    const { text, warnings } = build(model);
    expect(warnings).toEqual([]);
    expect(text).toContain('You are a helpful assistant.');
    const convs = Object.values(CONVERSATIONS);
    ollama(convs.map((messages) => ({ modelfile: text, messages }))).forEach((r, i) => expect(r.prompt).toBe(expectedPrompt(model, convs[i])));
  });

  it('leaves system messages out, and says so, when the template refuses them (Mistral-style, no generation prompt)', () => {
    const mistral = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
    const model: Model = { name: 'mistral-like', template: mistral, bos: '<s>', eos: '</s>', stops: ['</s>'] };
    const { text, warnings } = build(model, { system: 'Be nice.' });
    expect(warnings.some((w) => /leaves system messages out/.test(w))).toBe(true);
    expect(warnings.some((w) => /system prompt is left out/.test(w))).toBe(true);
    expect(text).not.toMatch(/^SYSTEM/m);
    const convs = [CONVERSATIONS.single, CONVERSATIONS.no_system_turns];
    ollama(convs.map((messages) => ({ modelfile: text, messages }))).forEach((r, i) => expect(r.prompt).toBe(expectedPrompt(model, convs[i])));
  });

  it('writes quotes, braces and characters Ollama\'s parser would drop as Go string actions', () => {
    // eos_token holds `"""` (would end the TEMPLATE), a no-break space and a zero-width space (dropped by Ollama's parser) and braces.
    const weird = "{% for message in messages %}{{ '{{\"' + message['role'] + '\"}}\\n' + message['content'] + eos_token }}{% endfor %}{% if add_generation_prompt %}{{ '{{\"assistant\"}}\\n' }}{% endif %}";
    const model: Model = { name: 'weird', template: weird, bos: null, eos: 'END\u00a0"""\u200b}', stops: [] };
    const { text, warnings } = build(model);
    expect(warnings).toEqual([]);
    const convs = Object.values(CONVERSATIONS);
    ollama(convs.map((messages) => ({ modelfile: text, messages }))).forEach((r, i) => {
      expect(r.error).toBeUndefined();
      expect(r.prompt).toBe(expectedPrompt(model, convs[i]));
    });
  });

  it('falls back to no TEMPLATE, with a warning in words and in the file, when turns cannot be separated', () => {
    const numbered = "{% for message in messages %}{{ 'Turn ' + loop.index|string + ' ' + message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}";
    const failing = "{{ raise_exception('no chat here') }}";
    for (const template of [numbered, failing]) {
      const { text, warnings } = build({ template, bos: null, eos: null, stops: [] });
      expect(text).not.toMatch(/^TEMPLATE/m);
      expect(warnings.some((w) => /could not be turned into an Ollama TEMPLATE/.test(w))).toBe(true);
      expect(text).toMatch(/^# Warning: The chat template could not be turned/m);
      const [r] = ollama([{ modelfile: text, messages: CONVERSATIONS.single }]);
      expect(r.from).toBe('./model.gguf'); // still a valid Modelfile
      expect(r.error).toBe('no TEMPLATE');
    }
    const none = buildModelfile({ ggufFile: 'model.gguf', chatTemplate: null, tokens: { bos: null, eos: null }, stopTokens: [] });
    expect(none.text).not.toMatch(/^TEMPLATE/m);
    expect(none.warnings[0]).toMatch(/no chat template/);
  });

  it('warns when the template writes today\'s date', () => {
    const dated = "{{ 'Today is ' + strftime_now('%d %b %Y') + '.\\n' }}" + CHATML;
    expect(build({ template: dated, bos: null, eos: null, stops: [] }).warnings.some((w) => /current date/.test(w))).toBe(true);
  });
});

describe('Modelfile quoting, read back by Ollama\'s parser', () => {
  it('PARAMETER stop: deduplicated, quoted so every text survives; unwritable ones left out with a warning', () => {
    const stops = ['<|im_end|>', '<|endoftext|>', '<|im_end|>', '', 'say "hi"', '"', '""', ' spaced ', 'tab\there', 'line\nbreak', '<｜end▁of▁sentence｜>', 'a"""b', 'bell\u0007'];
    const { text, warnings } = build({ template: CHATML, bos: null, eos: null, stops });
    const [r] = ollama([{ modelfile: text, messages: CONVERSATIONS.single }]);
    expect(r.stops).toEqual(['<|im_end|>', '<|endoftext|>', 'say "hi"', '"', '""', ' spaced ', 'tab\there', 'line\nbreak', '<｜end▁of▁sentence｜>']);
    expect(warnings.filter((w) => /stop text/.test(w))).toHaveLength(2);
    expect(text).toContain('PARAMETER stop "<|im_end|>"\n'); // the plain form Ollama's docs show
  });

  it('FROM: relative paths as ./path (spaces kept); absolute or multi-line names refused in words', () => {
    const from = (ggufFile: string) => {
      const { text } = buildModelfile({ ggufFile, chatTemplate: CHATML, tokens: { bos: null, eos: null }, stopTokens: [] });
      return ollama([{ modelfile: text, messages: CONVERSATIONS.single }])[0].from;
    };
    expect(from('model.gguf')).toBe('./model.gguf');
    expect(from('my model-Q8_0.gguf')).toBe('./my model-Q8_0.gguf');
    expect(from('../out/model.gguf')).toBe('../out/model.gguf');
    expect(() => from('/abs/model.gguf')).toThrow(/relative to the Modelfile/);
    expect(() => from('a\nb.gguf')).toThrow(/FROM line cannot hold/);
  });

  it('SYSTEM: multi-line text with quotes kept exactly; text with """ left out with a warning', () => {
    const system = '"Quoted" start,\n\ttabbed line, "" and ending quote"';
    const ok = build({ template: CHATML, bos: null, eos: null, stops: [] }, { system });
    expect(ollama([{ modelfile: ok.text, messages: CONVERSATIONS.single }])[0].system).toBe(system);
    const bad = build({ template: CHATML, bos: null, eos: null, stops: [] }, { system: 'say """no"""' });
    expect(bad.text).not.toMatch(/^SYSTEM/m);
    expect(bad.warnings.some((w) => /system prompt cannot be written/.test(w))).toBe(true);
  });

  it('the sample\'s TEMPLATE is the ChatML layout written out by hand', () => {
    const expected = [
      '{{ range .Messages }}{{ if eq .Role "system" }}<|im_start|>system\n{{ .Content }}<|im_end|>\n',
      '{{ else if eq .Role "user" }}<|im_start|>user\n{{ .Content }}<|im_end|>\n',
      '{{ else if eq .Role "assistant" }}<|im_start|>assistant\n{{ .Content }}<|im_end|>\n',
      '{{ end }}{{ end }}<|im_start|>assistant\n',
    ].join('');
    const { text, warnings } = build(MODELS[0]);
    expect(warnings).toEqual([]);
    expect(text).toContain(`TEMPLATE """${expected}"""\n`);
    expect(ollama([{ modelfile: text, messages: [] }])[0].template).toBe(expected);
  });
});
