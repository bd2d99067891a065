/**
 * Chat templates: pick the template out of tokenizer_config.json and render it the way Hugging Face
 * Transformers does (`apply_chat_template(..., tokenize=False)`).
 *
 * Transformers renders with jinja2's ImmutableSandboxedEnvironment(trim_blocks, lstrip_blocks) and
 * passes: messages, tools=None, documents=None, add_generation_prompt, and the tokenizer's special
 * tokens map (bos_token, eos_token, unk_token, pad_token, additional_special_tokens; a token that is
 * not set is left undefined, not None). Globals: raise_exception(msg) and strftime_now(fmt).
 * We parse with @huggingface/jinja (which lexes with trim_blocks/lstrip_blocks too) and run its
 * Interpreter on an Environment we fill ourselves, because Template.render refuses to redefine its
 * globals and we need our own raise_exception (so its message reaches the user as a distinct error)
 * and strftime_now (Python's C-locale strftime; the library's follows the machine's locale and
 * knows few directives).
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { describe, TokenizerError } from './errors.js';
import type { ChatMessage } from './types.js';

/** The special tokens a template sees; absent ones stay undefined, as in Transformers. */
export interface TemplateTokens {
  bos_token?: string;
  eos_token?: string;
  unk_token?: string;
  pad_token?: string;
  additional_special_tokens?: string[];
}

/**
 * The template text from tokenizer_config.json's `chat_template`: a string, or a list of
 * {name, template} of which Transformers uses "default" when no name is asked for.
 * Null when the config has none.
 */
export function resolveChatTemplate(value: unknown, file: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = new Map<string, string>();
    for (const entry of value) {
      const e = entry as { name?: unknown; template?: unknown } | null;
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.template !== 'string') {
        throw new TokenizerError('INVALID_FORMAT', file, 'chat_template must be a string or a list of {"name", "template"} strings');
      }
      named.set(e.name, e.template);
    }
    const dflt = named.get('default');
    if (dflt === undefined) {
      const names = [...named.keys()].map((n) => JSON.stringify(n)).join(', ');
      throw new TokenizerError('INVALID_FORMAT', file, `chat_template has several templates (${names}) and none named "default"`);
    }
    return dflt;
  }
  throw new TokenizerError('INVALID_FORMAT', file, `chat_template must be a string or a list of {"name", "template"}, got ${typeof value}`);
}

/** Thrown by the template's raise_exception(); caught in render and turned into TEMPLATE_RAISED. */
class RaisedByTemplate extends Error {}

/** A parsed chat template. Parse once, render many times (one per dataset row). */
export class ChatTemplate {
  private readonly template: Template;

  /** `file` names where the template came from, for messages. Throws TEMPLATE_SYNTAX. */
  constructor(source: string, private readonly file: string) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new TokenizerError('TEMPLATE_SYNTAX', file, `chat_template does not parse: ${describe(err)}`);
    }
  }

  /** `now` is the clock strftime_now reads; tests pin it. */
  render(
    messages: readonly ChatMessage[],
    addGenerationPrompt: boolean,
    tokens: TemplateTokens,
    now: () => Date = () => new Date(),
  ): string {
    const env = new Environment();
    // What Template.render's setupGlobals declares, with our two functions in place of its own.
    const globals: Record<string, unknown> = {
      false: false, true: true, none: null, False: false, True: true, None: null,
      range: pyRange,
      raise_exception: (message: unknown) => {
        throw new RaisedByTemplate(String(message));
      },
      strftime_now: (format: unknown) => strftime(now(), String(format)),
      // The variables Transformers passes. Copies, so the template can never reach the caller's objects.
      messages: messages.map((m) => ({ ...m })),
      tools: null,
      documents: null,
      add_generation_prompt: addGenerationPrompt,
    };
    for (const [k, v] of Object.entries(tokens)) if (v !== undefined) globals[k] = Array.isArray(v) ? [...v] : v;
    for (const [k, v] of Object.entries(globals)) env.set(k, v);
    try {
      return String(new Interpreter(env).run(this.template.parsed).value);
    } catch (err) {
      if (err instanceof RaisedByTemplate) throw new TokenizerError('TEMPLATE_RAISED', this.file, `chat_template refused the conversation: ${err.message}`);
      throw new TokenizerError('TEMPLATE_ERROR', this.file, `chat_template failed while rendering: ${describe(err)}`);
    }
  }
}

/** Python's range(): range(stop) or range(start, stop[, step]). */
function pyRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Python's `datetime.now().strftime(format)` on glibc in the C locale (Python never sets LC_TIME,
 * so names are English whatever the machine's language): local time, naive (%z and %Z are empty),
 * glibc's `-` flag drops padding (`%-d`), an unknown directive is copied as is.
 */
export function strftime(date: Date, format: string): string {
  const Y = date.getFullYear();
  const mo = date.getMonth();
  const d = date.getDate();
  const H = date.getHours();
  const Mi = date.getMinutes();
  const S = date.getSeconds();
  const wday = date.getDay(); // 0 = Sunday
  const yday = Math.round((Date.UTC(Y, mo, d) - Date.UTC(Y, 0, 1)) / 86_400_000); // 0-based
  const h12 = H % 12 === 0 ? 12 : H % 12;
  const pad = (n: number, width: number, fill: string) => String(n).padStart(width, fill);

  const one = (c: string, noPad: boolean): string | null => {
    // Numbers: [value, width, fill]; the '-' flag drops the fill.
    const num = (n: number, width: number, fill = '0') => (noPad ? String(n) : pad(n, width, fill));
    switch (c) {
      case 'a': return DAYS[wday].slice(0, 3);
      case 'A': return DAYS[wday];
      case 'b': case 'h': return MONTHS[mo].slice(0, 3);
      case 'B': return MONTHS[mo];
      case 'c': return `${one('a', false)} ${one('b', false)} ${one('e', false)} ${one('T', false)} ${Y}`;
      case 'C': return num(Math.floor(Y / 100), 2);
      case 'd': return num(d, 2);
      case 'D': return `${one('m', false)}/${one('d', false)}/${one('y', false)}`;
      case 'e': return num(d, 2, ' ');
      case 'f': return pad(date.getMilliseconds() * 1000, 6, '0');
      case 'F': return `${Y}-${one('m', false)}-${one('d', false)}`;
      case 'H': return num(H, 2);
      case 'I': return num(h12, 2);
      case 'j': return num(yday + 1, 3);
      case 'k': return num(H, 2, ' ');
      case 'l': return num(h12, 2, ' ');
      case 'm': return num(mo + 1, 2);
      case 'M': return num(Mi, 2);
      case 'n': return '\n';
      case 'p': return H < 12 ? 'AM' : 'PM';
      case 'P': return H < 12 ? 'am' : 'pm';
      case 'R': return `${one('H', false)}:${one('M', false)}`;
      case 'S': return num(S, 2);
      case 't': return '\t';
      case 'T': case 'X': return `${one('H', false)}:${one('M', false)}:${one('S', false)}`;
      case 'u': return String(wday === 0 ? 7 : wday);
      case 'U': return num(Math.floor((yday + 7 - wday) / 7), 2);
      case 'w': return String(wday);
      case 'W': return num(Math.floor((yday + 7 - ((wday + 6) % 7)) / 7), 2);
      case 'x': return one('D', false);
      case 'y': return num(Y % 100, 2);
      case 'Y': return String(Y);
      case 'z': case 'Z': return '';
      case '%': return '%';
      default: return null;
    }
  };

  return format.replace(/%(-?)(.)/gs, (whole, flag: string, c: string) => one(c, flag === '-') ?? whole);
}
