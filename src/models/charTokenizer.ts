// A character-level tokenizer written as Hugging Face files: tokenizer.json (a BPE model with one token per
// character and no merges, decoded by fusing the tokens) and tokenizer_config.json. Token ids are those of the
// built-in CharTokenizer (<pad> 0, <eos> 1, then the alphabet), so a model saved with it reads the same ids in
// transformers, in vLLM and here.
import { CharTokenizer } from '../trainer/tokenizer';

export function charTokenizerFiles(alphabet: string): {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
} {
  const chars = CharTokenizer.fromAlphabet(alphabet).vocab;
  const specials = chars.slice(0, 2);
  const addedToken = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((c, i) => addedToken(c, i)),
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(chars.map((c, i) => [c, i])),
      merges: [],
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    pad_token: specials[0],
    eos_token: specials[1],
    added_tokens_decoder: Object.fromEntries(
      specials.map((c, i) => {
        const { id, ...rest } = addedToken(c, i);
        return [String(id), rest];
      }),
    ),
    clean_up_tokenization_spaces: false,
    model_max_length: 1024,
  };
  return { tokenizer, tokenizerConfig };
}
