/**
 * The Ollama Modelfile that goes beside an exported .gguf: `FROM ./<file>`, a TEMPLATE equivalent to
 * the model's Jinja chat template, one `PARAMETER stop` per end token, and SYSTEM when asked.
 *
 * How the TEMPLATE is made. We do not translate Jinja. We render the chat template (as Transformers
 * would, through formats/tokenizer's ChatTemplate) on probe conversations whose contents are unique
 * sentinels, cut each render at the sentinels, and solve for one fixed layout:
 *   [preamble, only when the first message is not a system message]
 *   then, per message, prefix(role) + content + suffix(role)
 *   then the generation prompt.
 * The layout is accepted only if it reproduces every probe render exactly (system + user, user only,
 * several user/assistant turns). It becomes a Go template over `.Messages` (Ollama's data: Role and
 * Content per message). Content-rewriting Jinja logic cannot be expressed in Ollama's template
 * language (it has no string functions), so we probe for it and warn: whitespace trimming (Llama 3's
 * `| trim`) and removal of `<think>` reasoning from earlier answers (Qwen3). If no layout fits, or
 * the template refuses a plain conversation, the Modelfile has no TEMPLATE (Ollama then picks the
 * format itself, from the GGUF's tokenizer.chat_template where it can) and a warning says so;
 * warnings are also written as `#` comment lines at the top of the Modelfile.
 *
 * Decisions, each checked against Ollama's source (template/template.go, server/prompt.go,
 * server/routes.go, llm/llama_server.go, parser/parser.go):
 * - BOS: the text BOS that the Jinja template writes first (`<|begin_of_text|>`, the sample's
 *   `<|bos|>`) is left out. Ollama tokenizes the rendered prompt with llama.cpp, which prepends the
 *   BOS token itself when the GGUF says tokenizer.ggml.add_bos_token; writing it as text too would
 *   give two (Ollama's own llama3-instruct.gotmpl has no `<|begin_of_text|>` for this reason). So the
 *   GGUF must set add_bos_token = true whenever the template writes BOS or the tokenizer adds one.
 * - Generation prompt: Ollama has no add_generation_prompt; it renders the template only to generate
 *   the next assistant turn, so the TEMPLATE always ends with the tail that the Jinja template writes
 *   under add_generation_prompt=True (chatml.gotmpl and llama3-instruct.gotmpl do the same).
 * - Thinking (Qwen3): the TEMPLATE equals the Jinja template with enable_thinking unset, Transformers'
 *   default: the generation prompt is `<|im_start|>assistant\n` and the model decides whether to
 *   think. The template does not read `.Think`, so Ollama's think option cannot switch it off
 *   (a warning says so when the Jinja template has enable_thinking).
 * - Roles: system, user and assistant. Other roles (tool) render nothing, and `.Tools` is not used,
 *   so Ollama does not offer tool calling for the model. (Recent Ollama may then prefer a GGUF
 *   tokenizer.chat_template that offers tools over this TEMPLATE: server/images.go,
 *   shouldPreferChatTemplate.)
 * - Before the template runs, Ollama merges consecutive messages of the same role with a blank line
 *   between them, and turns the Modelfile's SYSTEM into a leading system message when the
 *   conversation has none: the Jinja equivalent is the same conversation with that system message.
 * - Quoting: the Modelfile grammar has no escapes and drops non-printable characters. Text inside
 *   the TEMPLATE that could upset either parser (quotes, braces, control characters) is written as a
 *   Go string action, `{{ "..." }}`. A stop text or SYSTEM that cannot be quoted is left out, with a
 *   warning.
 */
import { ChatTemplate, type TemplateTokens } from '../tokenizer/chat-template.js';
import type { ChatMessage } from '../tokenizer/types.js';

export interface ModelfileInput {
  /** The .gguf file's path relative to the Modelfile, e.g. 'model.gguf' -> `FROM ./model.gguf`. */
  ggufFile: string;
  /** tokenizer_config.json's chat_template (Jinja), or null when the model has none. */
  chatTemplate: string | null;
  /** The special tokens as the Tokenizer contract gives them. */
  tokens: { bos: string | null; eos: string | null };
  /** Texts of the model's end tokens (eos plus generation_config's eos ids): one PARAMETER stop each. */
  stopTokens: string[];
  system?: string | null;
}

type Role = 'system' | 'user' | 'assistant';
const ROLES: readonly Role[] = ['system', 'user', 'assistant'];

interface Wrapper { prefix: string; suffix: string }

/** The solved layout; the Go template and `simulate` below are two spellings of it. */
interface Layout {
  preamble: string; // written when the first message is not a system message (a default system prompt)
  wrappers: Partial<Record<Role, Wrapper>>; // system is absent when the Jinja template cannot take one
  generation: string;
}

/** What the Jinja template writes for a conversation with add_generation_prompt; null if it refuses. */
type Render = (messages: readonly ChatMessage[]) => string | null;

export function buildModelfile(input: ModelfileInput): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  let template: string | null = null;
  let systemSupported = true;
  if (input.chatTemplate === null || input.chatTemplate.trim() === '') {
    warnings.push('The model has no chat template, so the Modelfile has no TEMPLATE: Ollama will send prompts to it as plain text, which suits a base model but not a chat model.');
  } else {
    const made = templateFromJinja(input.chatTemplate, input.tokens);
    if ('reason' in made) {
      warnings.push(`The chat template could not be turned into an Ollama TEMPLATE (${made.reason}), so the Modelfile has none: Ollama will choose the prompt format itself (from the GGUF's tokenizer.chat_template where it can). Check the model's answers in Ollama before relying on them.`);
    } else {
      warnings.push(...made.warnings);
      template = made.template;
      systemSupported = made.systemSupported;
    }
  }

  const lines: string[] = [];
  lines.push(`FROM ${fromPath(input.ggufFile)}`);
  if (template !== null) lines.push(`TEMPLATE """${template}"""`);
  const seen = new Set<string>();
  for (const stop of input.stopTokens) {
    if (stop === '' || seen.has(stop)) continue;
    seen.add(stop);
    const quoted = quoteValue(stop);
    if (quoted === null) warnings.push(`The stop text ${JSON.stringify(stop)} cannot be written in a Modelfile (it has """ or characters Ollama drops), so it is left out; generation still ends at the model's end-of-generation tokens.`);
    else lines.push(`PARAMETER stop ${quoted}`);
  }
  const system = input.system ?? '';
  if (system !== '') {
    const quoted = quoteValue(system);
    if (!systemSupported) warnings.push('The chat template cannot take a system message, so the system prompt is left out of the Modelfile.');
    else if (quoted === null) warnings.push('The system prompt cannot be written in a Modelfile (it has """ or characters Ollama drops), so it is left out.');
    else lines.push(`SYSTEM """${system}"""`); // quoteValue's checks are the ones triple quotes need
  }

  const header = ['# Ollama Modelfile written by HFT Studio. Create the model with: ollama create NAME -f Modelfile'];
  for (const w of warnings) header.push(`# Warning: ${w.replace(/[\r\n]+/g, ' ')}`);
  return { text: [...header, ...lines].join('\n') + '\n', warnings };
}

/** `./name` for a plain relative path; anything else is a caller's mistake, said in plain words. */
function fromPath(file: string): string {
  if (file === '' || /^[/\\~]|^[A-Za-z]:/.test(file)) throw new Error(`Modelfile: the GGUF file must be given relative to the Modelfile's folder (for example "model.gguf"), got ${JSON.stringify(file)}`);
  if (!MODELFILE_PRINTABLE.test(file) || /[\r\n\t"]/.test(file) || file.trim() !== file) throw new Error(`Modelfile: the GGUF file name ${JSON.stringify(file)} has quotes, control characters or surrounding spaces, which a Modelfile's FROM line cannot hold; rename the file`);
  return file.startsWith('./') || file.startsWith('../') ? file : `./${file}`;
}

// --- Jinja -> layout -------------------------------------------------------------------------

type Made = { template: string; systemSupported: boolean; warnings: string[] } | { reason: string };

function templateFromJinja(source: string, tokens: ModelfileInput['tokens']): Made {
  let chat: ChatTemplate;
  try {
    chat = new ChatTemplate(source, 'tokenizer_config.json');
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
  const vars: TemplateTokens = {};
  if (tokens.bos !== null) vars.bos_token = tokens.bos;
  if (tokens.eos !== null) vars.eos_token = tokens.eos;
  // One clock for all probes, so that a date the template writes (strftime_now) cannot split them.
  const exportTime = new Date();
  let refusal = '';
  const renderAt = (messages: readonly ChatMessage[], now: Date): string | null => {
    try {
      return chat.render(messages, true, vars, () => now);
    } catch (err) {
      refusal = err instanceof Error ? err.message : String(err);
      return null;
    }
  };
  const render: Render = (messages) => renderAt(messages, exportTime);
  const bosText = tokens.bos ?? '';
  const user = render(probe(['user']));
  if (user === null) return { reason: `it fails on a conversation of one user message: ${refusal}` };
  const bos = bosText !== '' && user.startsWith(bosText) ? bosText : '';

  let layout = solve(render, bos, true);
  const systemSupported = layout !== null;
  layout ??= solve(render, bos, false);
  if (layout === null) return { reason: 'its output does not split into one fixed wrapper per role (system, user, assistant) around the message texts' };

  const warnings: string[] = [];
  const otherDay = new Date(exportTime.getTime() - 400 * 86_400_000);
  if (renderAt(probe(['user']), otherDay) !== user) warnings.push('The chat template writes the current date; the Ollama TEMPLATE has the date of this export written into it.');
  if (!systemSupported) warnings.push('The chat template does not write system messages as a turn of their own, so the Ollama TEMPLATE leaves system messages out.');
  warnings.push(...contentWarnings(render, bos, layout, systemSupported));
  if (/\benable_thinking\b/.test(source)) warnings.push('The chat template has an enable_thinking switch. The Ollama TEMPLATE renders it unset (the default: the model decides whether to think), and Ollama\'s think option cannot switch thinking off.');
  return { template: goTemplate(layout), systemSupported, warnings };
}

/** A conversation whose i-th message has a unique sentinel text that no template writes itself. */
function probe(roles: readonly Role[], override?: { index: number; content: (s: string) => string }): ChatMessage[] {
  return roles.map((role, i) => {
    const text = `Probe ${i + 1} (${role}).`;
    return { role, content: override?.index === i ? override.content(text) : text };
  });
}

/** Cuts a render at the sentinels: head, the texts between messages, tail. Null if they are not all there once, in order. */
function cut(rendered: string, messages: readonly ChatMessage[]): { head: string; gaps: string[]; tail: string } | null {
  const parts: string[] = [];
  let at = 0;
  for (const m of messages) {
    const i = rendered.indexOf(m.content, at);
    if (i < 0 || rendered.split(m.content).length !== 2) return null;
    parts.push(rendered.slice(at, i));
    at = i + m.content.length;
  }
  return { head: parts[0], gaps: parts.slice(1), tail: rendered.slice(at) };
}

/** The layout's output; mirrors goTemplate exactly. */
function simulate(layout: Layout, messages: readonly ChatMessage[]): string {
  let out = messages.length > 0 && messages[0].role !== 'system' ? layout.preamble : '';
  for (const m of messages) {
    const w = layout.wrappers[m.role as Role];
    if (w) out += w.prefix + m.content + w.suffix;
  }
  return out + layout.generation;
}

/**
 * Finds a layout that reproduces every probe. The text between two messages is suffix + prefix, so
 * the cut point is ambiguous and several layouts may fit. Of those, the best also reproduces a
 * system message in mid-conversation (when the template takes one), has no preamble, and ends every
 * role with the same non-empty marker (`<|im_end|>\n`): the reading a person would write.
 */
function solve(render: Render, bos: string, withSystem: boolean): Layout | null {
  const checks: Role[][] = withSystem
    ? [['user'], ['system', 'user'], ['user', 'assistant', 'user'], ['system', 'user', 'assistant', 'user', 'assistant', 'user'], ['user', 'assistant', 'user', 'assistant', 'user']]
    : [['user'], ['user', 'assistant', 'user'], ['user', 'assistant', 'user', 'assistant', 'user']];
  const expected: { messages: ChatMessage[]; text: string }[] = [];
  for (const roles of checks) {
    const messages = probe(roles);
    const text = render(messages);
    if (text === null || !text.startsWith(bos)) return null;
    expected.push({ messages, text: text.slice(bos.length) });
  }
  const [u, su, uau] = withSystem ? [expected[0], expected[1], expected[2]] : [expected[0], null, expected[1]];
  const cu = cut(u.text, u.messages);
  const cuau = cut(uau.text, uau.messages);
  const csu = su ? cut(su.text, su.messages) : null;
  if (!cu || !cuau || (withSystem && !csu)) return null;
  const [gapUA, gapAU] = cuau.gaps;
  const optional: { messages: ChatMessage[]; text: string }[] = [];
  if (withSystem) {
    const messages = probe(['user', 'assistant', 'system', 'user']);
    const text = render(messages);
    if (text !== null && text.startsWith(bos)) optional.push({ messages, text: text.slice(bos.length) });
  }
  const fits = (layout: Layout, cases: typeof expected) => cases.every((e) => simulate(layout, e.messages) === e.text);
  let best: { layout: Layout; cost: number } | null = null;

  for (let n = cu.head.length; n >= 0; n--) {
    const userPrefix = cu.head.slice(cu.head.length - n);
    const preamble = cu.head.slice(0, cu.head.length - n);
    if (!gapAU.endsWith(userPrefix)) continue;
    const assistantSuffix = gapAU.slice(0, gapAU.length - n);
    let system: Wrapper | undefined;
    if (csu) {
      if (!csu.gaps[0].endsWith(userPrefix)) continue;
      system = { prefix: csu.head, suffix: csu.gaps[0].slice(0, csu.gaps[0].length - n) };
    }
    const tries = [assistantSuffix, system?.suffix ?? ''];
    for (let k = gapUA.length; k >= 0; k--) tries.push(gapUA.slice(0, k));
    for (const userSuffix of new Set(tries)) {
      if (!gapUA.startsWith(userSuffix) || !cu.tail.startsWith(userSuffix)) continue;
      const layout: Layout = {
        preamble,
        wrappers: {
          ...(system ? { system } : {}),
          user: { prefix: userPrefix, suffix: userSuffix },
          assistant: { prefix: gapUA.slice(userSuffix.length), suffix: assistantSuffix },
        },
        generation: cu.tail.slice(userSuffix.length),
      };
      if (!fits(layout, expected)) continue;
      const ends = Object.values(layout.wrappers).map((w) => w.suffix);
      const cost = (fits(layout, optional) ? 0 : 4) + (preamble === '' ? 0 : 2) + (ends[0] !== '' && ends.every((e) => e === ends[0]) ? 0 : 1);
      if (best === null || cost < best.cost) best = { layout, cost };
    }
  }
  return best?.layout ?? null;
}

/** Jinja logic that rewrites message texts, which a Go template cannot copy: found by probing, said in words. */
function contentWarnings(render: Render, bos: string, layout: Layout, withSystem: boolean): string[] {
  // `sent` is what the client sends; `seen` what the Jinja template would have to receive for the layout to match it.
  const differs = (sent: ChatMessage[], seen: ChatMessage[] = sent) => {
    const text = render(sent);
    return text !== null && text !== bos + simulate(layout, seen);
  };
  const pad = (s: string) => `\n  ${s}  \n`;
  const padded = ([['system', ['system', 'user'], 0], ['user', ['user'], 0], ['assistant', ['user', 'assistant', 'user'], 1]] as const)
    .filter(([role]) => role !== 'system' || withSystem)
    .map(([role, roles, index]) => ({ role, sent: probe(roles, { index, content: pad }), trimmed: probe(roles) }))
    .filter((p) => differs(p.sent));
  const out: string[] = [];
  if (padded.length > 0) {
    const trims = padded.every((p) => !differs(p.sent, p.trimmed));
    out.push(`The chat template ${trims ? 'trims the spaces and newlines at the start and end of' : 'rewrites'} ${words(padded.map((p) => p.role))} messages that begin or end with whitespace; Ollama's template language cannot, so such messages reach the model unchanged, unlike in training.`);
  }
  const thought = (s: string) => `<think>\nProbe reasoning.\n</think>\n\n${s}`;
  if (differs(probe(['user', 'assistant', 'user'], { index: 1, content: thought }))) {
    out.push('The chat template removes the <think>...</think> reasoning from earlier assistant answers; the Ollama TEMPLATE keeps whatever the client sends back (Ollama strips it itself only for models whose GGUF architecture is qwen3).');
  }
  if (withSystem && differs(probe(['user', 'assistant', 'system', 'user']))) {
    out.push('The chat template treats a system message after the first turn differently from one at the start; the Ollama TEMPLATE wraps every system message the same way.');
  }
  return out;
}

/** ['a', 'b', 'c'] -> 'a, b and c'. */
function words(list: readonly string[]): string {
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
}

// --- layout -> Go template; Modelfile quoting ---------------------------------------------------

/** Ollama's parser keeps these (unicode.IsPrint, plus the whitespace its state machine keeps); it drops any other character. */
const MODELFILE_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} \n\r\t]*$/u;
/** Text that can stand as it is in the TEMPLATE: printable, no quotes (so never `"""`), no braces (so never `{{`). */
const PLAIN_TEXT = /^[^{}"\r]*$/;

function goTemplate(layout: Layout): string {
  let t = '';
  if (layout.preamble !== '') t += `{{ if and .Messages (ne (index .Messages 0).Role "system") }}${literal(layout.preamble)}{{ end }}`;
  t += '{{ range .Messages }}';
  let branch = 'if';
  for (const role of ROLES) {
    const w = layout.wrappers[role];
    if (!w) continue;
    t += `{{ ${branch} eq .Role "${role}" }}${literal(w.prefix)}{{ .Content }}${literal(w.suffix)}`;
    branch = 'else if';
  }
  t += `{{ end }}{{ end }}${literal(layout.generation)}`;
  if (t.includes('"""')) throw new Error('internal: TEMPLATE text would contain """'); // literal() rules this out
  return t;
}

/** Fixed template text: as is where safe, else a Go string action that prints it. */
function literal(s: string): string {
  if (s === '' || (PLAIN_TEXT.test(s) && MODELFILE_PRINTABLE.test(s))) return s;
  return `{{ ${goString(s)} }}`;
}

/** A Go interpreted string literal that uses only printable characters (quotes are escaped, so it never holds `"""`). */
function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (MODELFILE_PRINTABLE.test(ch)) out += ch;
    else out += cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * A Modelfile argument Ollama's parser reads back unchanged: `"s"` when s has no quote, else
 * `"""s"""`. The parser ends a value at the first line end where the text so far is a closed quote,
 * so s must not contain `"""`; it also drops non-printable characters. Null when s cannot be written.
 */
function quoteValue(s: string): string | null {
  if (!MODELFILE_PRINTABLE.test(s) || s.includes('"""')) return null;
  return s.includes('"') ? `"""${s}"""` : `"${s}"`;
}
