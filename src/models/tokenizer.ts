// tokenizer.json through @huggingface/tokenizers (a pure-JS port of the Rust library that wrote the file), with the
// special tokens named in tokenizer_config.json. Encoding with special tokens matches transformers' `tokenizer(text)`;
// text that came out of a chat template already holds them and is encoded without.

/**
 * The part of @huggingface/tokenizers' Tokenizer we use. The package is an ES module (loaded with a real dynamic
 * import from this CommonJS build) whose type declarations use extension-less relative paths, which Node16 module
 * resolution cannot follow, so its types are declared here.
 */
interface Tokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  token_to_id(token: string): number | undefined;
}
type TokenizerModule = { Tokenizer: new (json: object, config: object) => Tokenizer };

/** A token in tokenizer_config.json: a string, or an AddedToken dict with `content`. */
export function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'content' in value) {
    const content = value.content;
    if (typeof content === 'string') return content;
  }
  return undefined;
}

export const SPECIAL_TOKEN_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const;
export type SpecialTokens = Partial<Record<(typeof SPECIAL_TOKEN_KEYS)[number], string>>;

export function specialTokens(tokenizerConfig: Record<string, unknown>): SpecialTokens {
  const out: SpecialTokens = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const text = tokenText(tokenizerConfig[key]);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

export class HfTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly special: SpecialTokens,
  ) {}

  static async create(tokenizerJson: object, tokenizerConfig: Record<string, unknown>): Promise<HfTokenizer> {
    const { Tokenizer } = (await import('@huggingface/tokenizers')) as unknown as TokenizerModule;
    return new HfTokenizer(new Tokenizer(tokenizerJson, tokenizerConfig), specialTokens(tokenizerConfig));
  }

  encode(text: string, { specialTokens = true }: { specialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: specialTokens }).ids;
  }

  decode(ids: readonly number[], { skipSpecial = true }: { skipSpecial?: boolean } = {}): string {
    // The library refuses an empty list; a completion that ends at once is the empty text.
    if (ids.length === 0) return '';
    return this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecial });
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }
}
