/**
 * Chat templates rendered by us (@huggingface/jinja with Transformers' variables and globals)
 * against Python's jinja2 rendering them the way Transformers does, as recorded in
 * test/fixtures/tokenizer/chat_templates.json by make_chat_template_fixtures.py: the real Qwen3 and
 * Llama 3 templates on several conversations, small templates for tojson, strftime_now,
 * raise_exception, undefined tokens and whitespace control, and strftime itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatTemplate, strftime, type TemplateTokens } from '../../../src-main/formats/tokenizer/chat-template.js';
import { tokenizerFromJson, type ChatMessage } from '../../../src-main/formats/tokenizer/index.js';
import { modelDir, tinyTokenizerJson, tokenizerErrorOf } from './helpers.js';

interface Fixture {
  models: Record<string, { template_sha256: string; tokens: TemplateTokens }>;
  cases: { model: 'qwen3' | 'llama3'; conversation: string; add_generation_prompt: boolean; messages: ChatMessage[]; rendered: string }[];
  custom: {
    name: string; template: string; tokens: TemplateTokens; messages: ChatMessage[]; add_generation_prompt: boolean;
    now?: number[]; rendered?: string; error?: string;
  }[];
  strftime: { date: number[]; format: string; out: string }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/tokenizer/chat_templates.json', import.meta.url), 'utf8')) as Fixture;

/** A naive Python datetime(*parts) as a local-time JS Date. */
function localDate([y, mo, d, h = 0, mi = 0, s = 0]: number[]): Date {
  return new Date(y, mo - 1, d, h, mi, s);
}

describe('real templates match Python jinja2 as Transformers renders them', () => {
  for (const model of ['qwen3', 'llama3'] as const) {
    it(model, () => {
      const dir = modelDir(model);
      const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
      const sha = createHash('sha256').update(config.chat_template, 'utf8').digest('hex');
      expect(sha, `${model}'s template changed in node_modules: regenerate the fixture`).toBe(fixture.models[model].template_sha256);

      // The real tokenizer_config.json (template and special tokens) over the tiny tokenizer.json:
      // rendering needs no vocabulary, and building the real 150k-token BPE costs seconds.
      const tokenizer = tokenizerFromJson(tinyTokenizerJson(), config, undefined, dir);
      const cases = fixture.cases.filter((c) => c.model === model);
      expect(cases.length).toBeGreaterThanOrEqual(10);
      for (const c of cases) {
        const got = tokenizer.applyChatTemplate(c.messages, { addGenerationPrompt: c.add_generation_prompt });
        expect(got, `${model} ${c.conversation} add_generation_prompt=${c.add_generation_prompt}`).toBe(c.rendered);
      }
      // The default is add_generation_prompt=false, as in Transformers.
      const first = cases.find((c) => !c.add_generation_prompt)!;
      expect(tokenizer.applyChatTemplate(first.messages)).toBe(first.rendered);
    });
  }
});

describe('feature templates match Python jinja2', () => {
  for (const c of fixture.custom) {
    it(c.name, () => {
      const template = new ChatTemplate(c.template, 'tokenizer_config.json');
      const now = () => (c.now ? localDate(c.now) : new Date());
      const render = () => template.render(c.messages, c.add_generation_prompt, c.tokens, now);
      if (c.error !== undefined) {
        const err = tokenizerErrorOf(render);
        expect(err.code).toBe('TEMPLATE_RAISED');
        expect(err.message).toBe(`tokenizer_config.json: chat_template refused the conversation: ${c.error}`);
      } else {
        expect(render()).toBe(c.rendered);
      }
    });
  }
});

describe('strftime matches Python datetime.strftime (C locale)', () => {
  it('every date and format in the fixture', () => {
    expect(fixture.strftime.length).toBeGreaterThan(20);
    for (const s of fixture.strftime) expect(strftime(localDate(s.date), s.format), `${s.date} ${JSON.stringify(s.format)}`).toBe(s.out);
  });

  it('strftime_now reads the clock when no clock is pinned', () => {
    const t = new ChatTemplate('{{ strftime_now("%Y-%m-%d") }}', 'x');
    const before = strftime(new Date(), '%Y-%m-%d');
    const got = t.render([], false, {});
    expect([before, strftime(new Date(), '%Y-%m-%d')]).toContain(got);
  });
});

describe('template errors', () => {
  it('a template that does not parse', () => {
    const err = tokenizerErrorOf(() => new ChatTemplate('{% if x %}never closed', '/m/tokenizer_config.json'));
    expect(err.code).toBe('TEMPLATE_SYNTAX');
    expect(err.message).toMatch(/^\/m\/tokenizer_config\.json: chat_template does not parse: /);
    expect(err.message).not.toMatch(/\n/);
  });

  it('a template that fails at run time (not raise_exception)', () => {
    const t = new ChatTemplate('{{ messages[0].content.nope() }}', 'cfg.json');
    const err = tokenizerErrorOf(() => t.render([{ role: 'user', content: 'x' }], false, {}));
    expect(err.code).toBe('TEMPLATE_ERROR');
    expect(err.message).toMatch(/^cfg\.json: chat_template failed while rendering: /);
  });

  it("the template cannot change the caller's messages", () => {
    const t = new ChatTemplate('{% set m = messages[0] %}{{ messages | length }}', 'x');
    const messages: ChatMessage[] = [{ role: 'user', content: 'x' }];
    const copy = structuredClone(messages);
    expect(t.render(messages, false, {})).toBe('1');
    expect(messages).toEqual(copy);
  });
});
