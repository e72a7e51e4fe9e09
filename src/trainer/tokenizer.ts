// Character-level tokenizer. Id 0 pads, id 1 ends a completion; every other id is one character. Built-in tasks use
// a fixed alphabet; user datasets get the characters their data contains, saved with the checkpoint.
import type { PolicyTokenizer } from './policy';

export const PAD = 0;
export const EOS = 1;
const SPECIALS = ['<pad>', '<eos>'];

/** Every character a built-in task can produce. */
export const BUILTIN_ALPHABET = '0123456789+-*/%=(),: abcdefghijklmnopqrstuvwxyz';

export class CharTokenizer implements PolicyTokenizer {
  readonly vocab: readonly string[];
  private readonly index: Map<string, number>;

  constructor(vocab: readonly string[]) {
    if (vocab[PAD] !== SPECIALS[PAD] || vocab[EOS] !== SPECIALS[EOS]) {
      throw new Error('vocabulary must start with <pad>, <eos>');
    }
    this.vocab = vocab;
    this.index = new Map(vocab.map((c, i) => [c, i]));
  }

  static fromAlphabet(alphabet: string): CharTokenizer {
    return new CharTokenizer([...SPECIALS, ...new Set(Array.from(alphabet))]);
  }

  /** Vocabulary of every character in `texts`, sorted so the same data always gives the same ids. */
  static fromTexts(texts: Iterable<string>): CharTokenizer {
    const chars = new Set<string>();
    for (const t of texts) for (const c of t) chars.add(c);
    return new CharTokenizer([...SPECIALS, ...[...chars].sort()]);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** Throws on a character outside the vocabulary, naming it. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
      ids.push(id);
    }
    return ids;
  }

  /** A prompt is its characters. */
  encodePrompt(text: string): number[] {
    return this.encode(text);
  }

  /** A demonstration: its characters, then <eos>. */
  encodeTarget(text: string): number[] {
    return [...this.encode(text), EOS];
  }

  /** Stops at the first <eos>; pads are skipped. */
  decode(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) {
      if (id === EOS) break;
      if (id === PAD) continue;
      out += this.vocab[id] ?? '';
    }
    return out;
  }
}
