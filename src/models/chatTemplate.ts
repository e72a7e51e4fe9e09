// Chat templates are Jinja programs shipped with the tokenizer; @huggingface/jinja is the engine written for them.
// The variables match what transformers' apply_chat_template passes: the messages, add_generation_prompt, the
// special tokens; the engine itself provides the raise_exception and strftime_now helpers templates call.
// An ES module; this CommonJS build loads it with a real dynamic import.
import type { Template } from '@huggingface/jinja' with { 'resolution-mode': 'import' };
import type { SpecialTokens } from './tokenizer';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export class ChatTemplateError extends Error {
  override readonly name = 'ChatTemplateError';
}

export class ChatTemplate {
  private constructor(
    readonly source: string,
    private readonly special: SpecialTokens,
    private readonly template: Template,
  ) {}

  static async parse(source: string, special: SpecialTokens): Promise<ChatTemplate> {
    const { Template } = await import('@huggingface/jinja');
    try {
      return new ChatTemplate(source, special, new Template(source));
    } catch (err) {
      throw new ChatTemplateError(
        `chat_template does not parse: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  render(messages: readonly ChatMessage[], { addGenerationPrompt = true } = {}): string {
    return this.template.render({
      ...this.special,
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: addGenerationPrompt,
    });
  }
}
