// Tokenizer of a Hugging Face model folder (tokenizer.json + tokenizer_config.json) through the maintained
// @huggingface/tokenizers port, behind the small TextTokenizer interface the data code uses.
import { Tokenizer } from '@huggingface/tokenizers';
import type { TextTokenizer } from '../data/types';

export class HfTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  private readonly tok: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: Record<string, unknown>) {
    this.tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.vocabSize = this.tok.get_vocab(true).size;
    const eos = tokenName(tokenizerConfig.eos_token) ?? '<|endoftext|>';
    const id = this.tok.token_to_id(eos);
    if (id === undefined) throw new Error(`The tokenizer has no end-of-sequence token "${eos}"`);
    this.eosId = id;
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: false });
  }
}

/** tokenizer_config.json stores special tokens as strings or as {content: ...} objects. */
function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}
