// RL prompt records: plain prompts with answers, chat messages (a closing assistant turn is the reference answer),
// TRL's conversational prompt lists, prompts from parsed records, and located refusals.
import { describe, expect, it } from 'vitest';
import { chooseTemplate } from './chat-template';
import { conversationPrompts, encodePrompts, readPromptRecords } from './prompts';
import type { TextTokenizer } from './types';

const file = (rows: unknown[]) => new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n'));
const tok: TextTokenizer = { encode: (s) => [...s].map((c) => c.charCodeAt(0)), decode: (ids) => String.fromCharCode(...ids), vocabSize: 256, eosId: 0 };

describe('RL prompts', () => {
  it('reads plain prompts, chat messages and TRL conversational prompts with their answers', async () => {
    const recs = await readPromptRecords('p.jsonl', file([
      { prompt: '2+2=', answer: '4' },
      { messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: [{ type: 'text', text: 'Hi' }] }, { role: 'assistant', content: 'Hello' }] },
      { prompt: [{ role: 'user', content: 'Colour?' }] },
    ]));
    expect(recs).toEqual([
      { line: 1, prompt: '2+2=', answer: '4' },
      { line: 2, prompt: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }], answer: 'Hello' },
      { line: 3, prompt: [{ role: 'user', content: 'Colour?' }] },
    ]);
    const template = chooseTemplate('chatml', {});
    const enc = encodePrompts(tok, recs, template);
    expect(tok.decode(enc[0].prompt)).toBe('2+2=');
    expect(enc[0].answer).toBe('4');
    expect(tok.decode(enc[1].prompt)).toBe(template.render(recs[1].prompt as never, { addGenerationPrompt: true }));
    expect(tok.decode(enc[1].prompt).endsWith('<|im_start|>assistant\n')).toBe(true);
  });
  it.each([
    [{ text: 'x' }, /p\.jsonl line 1: no prompt: an RL record needs a string "prompt" or chat "messages".*found fields text/],
    [{ prompt: '  ' }, /line 1: "prompt" is empty/],
    [{ prompt: 'q', answer: 4 }, /line 1: "answer" must be a string/],
    [{ messages: [{ role: 'assistant', content: 'a' }, { role: 'assistant', content: 'b' }] }, /line 1: "messages": .*turn 1 is assistant/],
    [{ messages: [{ role: 'user', content: [{ type: 'image', url: 'x' }] }] }, /line 1: "messages": .*"image" part/],
  ])('refuses %j with its line', async (row, msg) => {
    await expect(readPromptRecords('p.jsonl', file([row]))).rejects.toThrow(msg);
  });
  it('takes prompts from parsed records: the last answer is the reference', () => {
    expect(conversationPrompts([
      { kind: 'completion', line: 3, turns: [{ role: 'user', content: 'Q: ' }, { role: 'assistant', content: 'A' }] },
      { kind: 'chat', line: 4, turns: [{ role: 'user', content: 'u' }, { role: 'assistant', content: 'a' }] },
    ])).toEqual([{ line: 3, prompt: 'Q: ', answer: 'A' }, { line: 4, prompt: [{ role: 'user', content: 'u' }], answer: 'a' }]);
    expect(() => conversationPrompts([{ kind: 'text', line: 7, turns: [{ role: 'assistant', content: 'doc' }] }])).toThrow(/line 7: a plain text record/);
  });
});
