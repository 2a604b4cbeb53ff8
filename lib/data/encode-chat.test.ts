// Tests for chat templates and loss masks: a two-answer conversation checked token by token, the model's
// Jinja template (bos/eos honoured) against the built-in one, text and completion records, and the preview.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { builtinTemplate, chooseTemplate, modelTemplate } from './chat-template';
import { encodeConversation, encodeConversations, previewTokens } from './encode-chat';
import { renderAlpacaPrompt } from './templates';
import { HfTokenizer } from '../engine/tokenizer';
import type { Conversation, TextTokenizer } from './types';

/** One id per character; eos is 0. */
const charTok: TextTokenizer = {
  encode: (s) => Array.from(s, (ch) => ch.codePointAt(0)!),
  decode: (ids) => ids.map((i) => (i === 0 ? '</s>' : String.fromCodePoint(i))).join(''),
  vocabSize: 0x110000,
  eosId: 0,
};
const special = { bos: '<s>', eos: '</s>', pad: '' };
const chatml = builtinTemplate('chatml', special);

const twoAnswers: Conversation = {
  kind: 'chat',
  line: 1,
  turns: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello' },
    { role: 'user', content: 'Bye' },
    { role: 'assistant', content: 'Ciao' },
  ],
};

describe('chat loss masks', () => {
  it('learns exactly the two assistant answers (with their end marker), token by token', () => {
    const { example, truncated } = encodeConversation(charTok, twoAnswers, { template: chatml });
    const text =
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n' +
      'Hello<|im_end|>\n' +
      '<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n' +
      'Ciao<|im_end|>\n';
    expect(truncated).toBe(false);
    expect(charTok.decode(example.ids)).toBe(text);
    // Expected mask built independently: 1 exactly on the characters of each answer span.
    const expected = new Array(text.length).fill(0);
    for (const span of ['Hello<|im_end|>\n', 'Ciao<|im_end|>\n']) {
      const at = text.indexOf(span);
      for (let i = at; i < at + span.length; i++) expected[i] = 1;
    }
    expect(example.mask).toEqual(expected);
    const learned = example.ids.filter((_, i) => example.mask[i] === 1);
    expect(charTok.decode(learned)).toBe('Hello<|im_end|>\nCiao<|im_end|>\n');
  });

  it('learns everything but position 0 with trainOnAll', () => {
    const { example } = encodeConversation(charTok, twoAnswers, { template: chatml, trainOnAll: true });
    expect(example.mask.slice(1).every((m) => m === 1)).toBe(true);
    expect(example.mask[0]).toBe(0);
  });

  it('text learns every token and eos; completion learns completion and eos; both untemplated', () => {
    const text = encodeConversation(charTok, { kind: 'text', line: 1, turns: [{ role: 'assistant', content: 'abc' }] });
    expect(text.example).toEqual({ ids: [97, 98, 99, 0], mask: [0, 1, 1, 1] });
    const pc = encodeConversation(charTok, { kind: 'completion', line: 1, turns: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }] });
    expect(pc.example).toEqual({ ids: [81, 65, 0], mask: [0, 1, 1] });
  });

  it("Alpaca template: Stanford Alpaca's prompt (with the input section), answers end with eos, turns continue", () => {
    const alpaca = builtinTemplate('alpaca', special);
    const conv: Conversation = {
      kind: 'chat',
      line: 1,
      turns: [
        { role: 'user', content: 'Add.', input: '2 and 3' },
        { role: 'assistant', content: '5' },
        { role: 'user', content: 'Times 2?' },
        { role: 'assistant', content: '10' },
      ],
    };
    const { example } = encodeConversation(charTok, conv, { template: alpaca });
    const text = charTok.decode(example.ids);
    expect(text).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n2 and 3\n\n### Response:\n5</s>' +
        '\n\n### Instruction:\nTimes 2?\n\n### Response:\n10</s>',
    );
    const expected = Array.from(text, (_, i) => (['5</s>', '10</s>'].some((span) => i >= text.indexOf(span) && i < text.indexOf(span) + span.length) ? 1 : 0));
    expect(example.mask).toEqual(expected);
    // Chat templates put the input after the instruction on a new line.
    expect(chatml.render(conv.turns.slice(0, 1), { addGenerationPrompt: false })).toBe('<|im_start|>user\nAdd.\n2 and 3<|im_end|>\n');
  });

  it('cuts at seqLen, counts it, and drops (listing the line) records left with nothing to learn', () => {
    const set = encodeConversations(charTok, [twoAnswers, { ...twoAnswers, line: 7 }], { template: chatml, seqLen: 40 });
    expect(set.truncated).toBe(2);
    expect(set.droppedNoLoss).toBe(2);
    expect(set.droppedLines).toEqual([1, 7]);
  });

  it('trains preference pairs on the chosen answer only', () => {
    const pair: Conversation = { ...twoAnswers, rejected: { role: 'assistant', content: 'Nope' } };
    const a = encodeConversations(charTok, [pair], { template: chatml, seqLen: 512 }).examples[0];
    const b = encodeConversations(charTok, [twoAnswers], { template: chatml, seqLen: 512 }).examples[0];
    expect(a).toEqual(b);
  });
});

describe("the model's own chat template", () => {
  const chatmlJinja =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  it('renders a ChatML Jinja template exactly like the built-in ChatML', () => {
    const tpl = modelTemplate({ chat_template: chatmlJinja })!;
    for (const gen of [true, false]) {
      expect(tpl.render(twoAnswers.turns, { addGenerationPrompt: gen })).toBe(chatml.render(twoAnswers.turns, { addGenerationPrompt: gen }));
    }
    expect(encodeConversation(charTok, twoAnswers, { template: tpl })).toEqual(encodeConversation(charTok, twoAnswers, { template: chatml }));
  });

  it('honours bos_token and eos_token (Llama-2 style), masking answer + eos', () => {
    const llama2 =
      "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}{{ '[INST] ' + m['content'] + ' [/INST]' }}" +
      "{% elif m['role'] == 'assistant' %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}";
    const tpl = modelTemplate({ chat_template: llama2, bos_token: { content: '<s>' }, eos_token: '</s>' })!;
    const conv: Conversation = { kind: 'chat', line: 1, turns: twoAnswers.turns.slice(1) };
    const { example } = encodeConversation(charTok, conv, { template: tpl });
    expect(charTok.decode(example.ids)).toBe('<s>[INST] Hi [/INST] Hello </s>[INST] Bye [/INST] Ciao </s>');
    expect(charTok.decode(example.ids.filter((_, i) => example.mask[i] === 1))).toBe(' Hello </s> Ciao </s>');
  });

  it("Meta's Llama-3 Instruct template (bos from tokenizer_config) renders like the built-in llama3", () => {
    const src =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}" +
      "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
    const tpl = modelTemplate({ chat_template: src, bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' })!;
    const llama3 = builtinTemplate('llama3', special);
    expect(encodeConversation(charTok, twoAnswers, { template: tpl })).toEqual(encodeConversation(charTok, twoAnswers, { template: llama3 }));
  });

  it('chooseTemplate: the model template when present, else Alpaca for Alpaca data, else ChatML', () => {
    expect(chooseTemplate('auto', { chat_template: chatmlJinja }).name).toBe('model');
    expect(chooseTemplate('auto', {}, 'alpaca').name).toBe('alpaca');
    expect(chooseTemplate('auto', {}, 'chat').name).toBe('chatml');
    expect(chooseTemplate('llama3', {}).render([{ role: 'user', content: 'x' }], { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    expect(() => chooseTemplate('model', {})).toThrow(/has no chat_template: choose chatml, alpaca or llama3/);
  });
});

describe('preview with the demo model tokenizer', () => {
  const dir = path.resolve(__dirname, '../../public/models/webtune-demo');
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const tok = new HfTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), config);

  it('gives each token its text and loss flag; the Alpaca eos is the real eos id', () => {
    const conv: Conversation = { kind: 'chat', line: 1, turns: [{ role: 'user', content: 'Say hi.' }, { role: 'assistant', content: 'Hi there!' }] };
    const tokens = previewTokens(tok, conv, { template: chooseTemplate('auto', config, 'alpaca') });
    expect(tokens.map((t) => t.text).join('')).toBe(
      `${'Below is an instruction that describes a task. Write a response that appropriately completes the request.'}\n\n### Instruction:\nSay hi.\n\n### Response:\nHi there!<|endoftext|>`,
    );
    const learned = tokens.filter((t) => t.carriesLoss);
    expect(learned.map((t) => t.text).join('')).toBe('Hi there!<|endoftext|>');
    expect(learned.some((t) => t.id === tok.eosId)).toBe(true);
    expect(tokens.findIndex((t) => t.carriesLoss)).toBe(tokens.length - learned.length);
  });
});

/** Stanford Alpaca's layout, written out: prompt and completion encoded apart, eos after; loss on completion + eos. */
function stanfordReference(tok: HfTokenizer, prompt: string, completion: string, seqLen: number) {
  const p = prompt === '' ? [] : tok.encode(prompt);
  const c = tok.encode(completion);
  const ids = [...p, ...c, tok.eosId];
  const mask = [...p.map(() => 0), ...c.map(() => 1), 1];
  mask[0] = 0; // nothing predicts the first token
  return { example: { ids: ids.slice(0, seqLen), mask: mask.slice(0, seqLen) }, truncated: ids.length > seqLen };
}

describe('one encoding path for the older records', () => {
  const dir = path.resolve(__dirname, '../../public/models/webtune-demo');
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  const demoTok = () => new HfTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), config);
  const alpacaFile = path.resolve(__dirname, '../../../shared/data/alpaca_en_demo.json');
  const rawAlpaca = () => JSON.parse(fs.readFileSync(alpacaFile, 'utf8')) as { instruction: string; input: string; output: string }[];

  it('Alpaca data through the Alpaca template gives the Stanford layout ids and masks (all 999 demo records)', async () => {
    const { parseDataset } = await import('./dataset');
    const tok = demoTok();
    const raw = rawAlpaca();
    const now = (await parseDataset('alpaca_en_demo.json', new Uint8Array(fs.readFileSync(alpacaFile)))).records;
    const template = chooseTemplate('auto', config, 'alpaca');
    expect(now).toHaveLength(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const want = stanfordReference(tok, renderAlpacaPrompt(raw[i]), raw[i].output, 256);
      expect(encodeConversation(tok, now[i], { template, seqLen: 256 }).example).toEqual(want.example);
    }
  }, 60_000);

  it('encodes {prompt, completion} records in the same layout (alpaca_en_demo, demo tokenizer)', async () => {
    const { fromTrainRecord } = await import('./normalize');
    const tok = demoTok();
    const records = [
      ...rawAlpaca().slice(0, 40).map((r) => ({ prompt: renderAlpacaPrompt(r), completion: r.output })),
      { prompt: '', completion: 'plain text record' },
    ];
    for (const [i, r] of records.entries()) {
      const want = stanfordReference(tok, r.prompt, r.completion, 128);
      const now = encodeConversation(tok, fromTrainRecord(r, i + 1), { seqLen: 128 });
      expect(now.example).toEqual(want.example);
      expect(now.truncated).toBe(want.truncated);
    }
  });
});
