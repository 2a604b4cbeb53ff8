// Preference records read and encoded as TRL does: content-part messages (OpenAI, LLaMA-Factory v1 with
// loss_weight), pairs as two whole conversations, non-text parts refused with their place, KTO labels, and
// the token layout of standard and conversational pairs and of conversational KTO rows checked character by character;
// fractional loss weights refused.
import { describe, expect, it } from 'vitest';
import { builtinTemplate } from './chat-template';
import { parseDatasetText } from './dataset';
import { encodeConversation } from './encode-chat';
import { encodePair, encodePreferenceSet, encodeUnpaired } from './encode-preference';
import type { TextTokenizer } from './types';

/** One id per character; eos is 0. */
const charTok: TextTokenizer = {
  encode: (s) => Array.from(s, (ch) => ch.codePointAt(0)!),
  decode: (ids) => ids.map((i) => (i === 0 ? '</s>' : String.fromCodePoint(i))).join(''),
  vocabSize: 0x110000,
  eosId: 0,
};
const chatml = builtinTemplate('chatml', { bos: '<s>', eos: '</s>', pad: '' });
const ids = (s: string) => Array.from(s, (ch) => ch.codePointAt(0)!);
const jsonl = (...rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');

describe('content-part messages', () => {
  it('reads OpenAI parts ({type, text}) in chat data', () => {
    const ds = parseDatasetText('a.jsonl', jsonl({ messages: [
      { role: 'user', content: [{ type: 'text', text: 'Hel' }, { type: 'text', text: 'lo' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] },
    ] }));
    expect(ds.issues).toEqual([]);
    expect(ds.records[0].turns.map((t) => t.content)).toEqual(['Hello', 'Hi']);
  });

  it('reads LLaMA-Factory v1 parts ({type, value}); loss_weight 0 takes an answer out of the loss', () => {
    const ds = parseDatasetText('a.jsonl', jsonl({ messages: [
      { role: 'user', content: [{ type: 'text', value: 'A' }], loss_weight: 0 },
      { role: 'assistant', content: [{ type: 'text', value: 'x' }], loss_weight: 0 },
      { role: 'user', content: [{ type: 'text', value: 'B' }], loss_weight: 0 },
      { role: 'assistant', content: [{ type: 'text', value: 'y' }], loss_weight: 1 },
    ] }));
    expect(ds.issues).toEqual([]);
    const { example } = encodeConversation(charTok, ds.records[0], { template: chatml });
    const learned = example.ids.filter((_, i) => example.mask[i] === 1).map((i) => String.fromCodePoint(i)).join('');
    expect(learned).toBe('y<|im_end|>\n'); // the first answer (weight 0) is context only
  });

  it('refuses parts that are not text, saying where', () => {
    const ds = parseDatasetText('a.jsonl', jsonl(
      { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok' }] },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'x' } }] }, { role: 'assistant', content: 'ok' }] },
    ));
    expect(ds.records).toHaveLength(1);
    expect(ds.issues[0].line).toBe(2);
    expect(ds.issues[0].reason).toMatch(/messages\[0\]\.content\[1\] is a "image_url" part: only text parts/);
  });

  it('reads pairs as two whole conversations (chosen_messages / rejected_messages)', () => {
    const conv = (a: string) => [
      { role: 'user', content: [{ type: 'text', value: 'Q' }] },
      { role: 'assistant', content: [{ type: 'text', value: a }] },
    ];
    const ds = parseDatasetText('a.jsonl', jsonl({ chosen_messages: conv('good'), rejected_messages: conv('bad') }));
    expect(ds.shape).toBe('preference');
    expect(ds.issues).toEqual([]);
    expect(ds.records[0].turns.map((t) => t.content)).toEqual(['Q', 'good']);
    expect(ds.records[0].rejected?.content).toBe('bad');
    const other = parseDatasetText('a.jsonl', jsonl(
      { chosen_messages: conv('good'), rejected_messages: conv('bad') },
      { chosen_messages: conv('good'), rejected_messages: [{ role: 'user', content: 'other' }, { role: 'assistant', content: 'bad' }] },
    ));
    expect(other.issues[0].reason).toMatch(/same conversation up to their last answer/);
  });
});

describe('TRL tokenisation of pairs', () => {
  it('standard: prompt text, then each answer tokenised apart with eos, no template', () => {
    const ds = parseDatasetText('p.jsonl', jsonl({ prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' }));
    const { example, truncated } = encodePair(charTok, ds.records[0], { template: chatml, seqLen: 64 });
    expect(example).toEqual({ prompt: ids('The sky is'), chosen: [...ids(' blue.'), 0], rejected: [...ids(' green.'), 0] });
    expect(truncated).toBe(false);
  });

  it('conversational: the templated prompt with the generation prompt; the answer is what the full render adds', () => {
    const ds = parseDatasetText('p.jsonl', jsonl({
      prompt: [{ role: 'user', content: 'Say hi' }], chosen: [{ role: 'assistant', content: 'Hi!' }], rejected: [{ role: 'assistant', content: 'No.' }],
    }));
    const { example } = encodePair(charTok, ds.records[0], { template: chatml, seqLen: 256 });
    expect(example.prompt).toEqual(ids('<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\n'));
    expect(example.chosen).toEqual([...ids('Hi!<|im_end|>\n'), 0]);
    expect(example.rejected).toEqual([...ids('No.<|im_end|>\n'), 0]);
  });

  it('cuts to seqLen as TRL keeps it: the prompt loses its start, the answers their end', () => {
    const ds = parseDatasetText('p.jsonl', jsonl({ prompt: 'abcdef', chosen: 'xyz', rejected: 'uvwxyz12' }));
    const { example, truncated } = encodePair(charTok, ds.records[0], { seqLen: 8 });
    expect(truncated).toBe(true);
    expect(example.prompt).toEqual(ids('f')); // the 9-token answer leaves room for one prompt token
    expect(example.chosen).toEqual([...ids('xyz'), 0]);
    expect(example.rejected).toEqual(ids('uvwxyz1'));
    expect(encodePair(charTok, ds.records[0], { seqLen: 12 }).example.prompt).toEqual(ids('def'));
  });

  it('refuses a record that is not a pair, by line', () => {
    const ds = parseDatasetText('p.jsonl', jsonl({ prompt: 'a', completion: 'b' }));
    expect(() => encodePreferenceSet(charTok, ds.records, { seqLen: 16, unpaired: false })).toThrow(/line 1: not a preference pair/);
  });
});

describe('KTO rows', () => {
  it('splits a pair into a desirable and an undesirable answer; reads label and kto_tag', () => {
    const pair = parseDatasetText('p.jsonl', jsonl({ prompt: 'Q', chosen: 'A', rejected: 'B' })).records[0];
    expect(encodeUnpaired(charTok, pair, { seqLen: 16 }).examples).toEqual([
      { prompt: ids('Q'), completion: [...ids('A'), 0], desirable: true },
      { prompt: ids('Q'), completion: [...ids('B'), 0], desirable: false },
    ]);
    const labelled = parseDatasetText('u.jsonl', jsonl({ prompt: 'Q', completion: 'A', label: false }, { prompt: 'Q', completion: 'B', label: true }));
    expect(encodePreferenceSet(charTok, labelled.records, { seqLen: 16, unpaired: true }).examples.map((e) => e.desirable)).toEqual([false, true]);
    const tagged = parseDatasetText('k.jsonl', jsonl({ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }], kto_tag: true }));
    expect(tagged.records[0].label).toBe(true);
    const wrong = parseDatasetText('u.jsonl', jsonl({ prompt: 'Q', completion: 'A', label: 'yes' }, { prompt: 'Q', completion: 'A' }));
    expect(wrong.issues[0].reason).toMatch(/"label" must be true or false/);
    expect(() => encodeUnpaired(charTok, wrong.records[0], { seqLen: 16 })).toThrow(/line 2: KTO needs answers marked good or bad/);
  });

  it('conversational KTO: messages with a label (multi-turn), and TRL\'s prompt/completion message lists, templated as TRL does', () => {
    const turns = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Yo' }, { role: 'user', content: [{ type: 'text', text: 'Q?' }] }, { role: 'assistant', content: 'A.' }];
    const messages = parseDatasetText('k.jsonl', jsonl({ messages: turns, label: false }));
    const lists = parseDatasetText('t.jsonl', jsonl({ prompt: turns.slice(0, 3), completion: turns.slice(3), label: true }));
    expect([...messages.issues, ...lists.issues]).toEqual([]);
    const enc = encodePreferenceSet(charTok, [...messages.records, ...lists.records], { seqLen: 256, unpaired: true, template: chatml });
    // The prompt is every turn before the last, with the generation prompt; the completion is what the last turn adds.
    const prompt = '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n';
    expect(enc.examples).toEqual([
      { prompt: ids(prompt), completion: [...ids('A.<|im_end|>\n'), 0], desirable: false },
      { prompt: ids(prompt), completion: [...ids('A.<|im_end|>\n'), 0], desirable: true },
    ]);
  });

  it('refuses bad conversational rows with their line and place', () => {
    const u = { role: 'user', content: 'Q' };
    const ds = parseDatasetText('k.jsonl', jsonl(
      { messages: [u, { role: 'assistant', content: 'A', loss_weight: 0.5 }], label: true },
      { messages: [u], label: true },
      { messages: [u, { role: 'assistant', content: [{ type: 'image_url', image_url: 'x' }] }], label: true },
      { messages: [u, { role: 'assistant', content: 'A', loss_weight: 0 }], label: true },
    ));
    expect(ds.issues.map((i) => [i.line, i.reason])).toEqual([
      [1, 'messages[1].loss_weight is 0.5: only 0 (no loss on this message) or 1 is supported; fractional weights are not'],
      [2, 'no assistant turn: there is nothing to learn in this conversation'],
      [3, expect.stringMatching(/^messages\[1\]\.content\[0\] is a "image_url" part/)],
    ]);
    expect(() => encodePreferenceSet(charTok, ds.records, { seqLen: 64, unpaired: true, template: chatml })).toThrow(/line 4: the answer a preference loss judges .* has loss_weight 0/);
  });
});
