// Answer extractors: each returns the extracted text, or null when the completion holds no such answer.
// The built-in ones are hand-written scanners (linear, no user input in a pattern); `regex` runs on RE2.
import type { RE2JS } from 're2js';

/** Numbers as people and models write them: sign, thousands commas, decimals, exponent, a simple fraction. */
const numberPattern =
  /(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?(?:\/\d+)?|(?<![\w.])-?\.\d+/g;

export function extractLastNumber(text: string): string | null {
  let last: string | null = null;
  numberPattern.lastIndex = 0;
  for (let m = numberPattern.exec(text); m !== null; m = numberPattern.exec(text)) last = m[0];
  return last;
}

/**
 * The content of the last `\boxed{…}` (or `\fbox{…}`) whose braces balance; nested braces such as
 * `\boxed{\frac{1}{2}}` are kept whole. An unbalanced last box falls back to the one before it.
 */
export function extractBoxed(text: string): string | null {
  let from = text.length;
  while (from > 0) {
    const boxed = text.lastIndexOf('\\boxed', from - 1);
    const fbox = text.lastIndexOf('\\fbox', from - 1);
    const at = Math.max(boxed, fbox);
    if (at < 0) return null;
    let i = at + (at === boxed ? 6 : 5);
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    if (text[i] === '{') {
      let depth = 0;
      for (let j = i; j < text.length; j++) {
        const c = text[j];
        if (c === '\\') {
          j++; // an escaped brace (\{ or \}) does not open or close a group
        } else if (c === '{') {
          depth++;
        } else if (c === '}') {
          depth--;
          if (depth === 0) return text.slice(i + 1, j);
        }
      }
    }
    from = at;
  }
  return null;
}

/** The content of the last complete `<tag>…</tag>` pair. */
export function extractTag(text: string, tag: string): string | null {
  const close = text.lastIndexOf(`</${tag}>`);
  if (close < 0) return null;
  const open = text.lastIndexOf(`<${tag}>`, close);
  if (open < 0) return null;
  return text.slice(open + tag.length + 2, close);
}

/** The given group of the last match; null when nothing matches or the group did not take part. */
export function extractRegex(text: string, re: RE2JS, group: number | string): string | null {
  const m = re.matcher(text);
  let last: string | null = null;
  let found = false;
  while (m.find()) {
    found = true;
    last = m.group(group);
  }
  return found ? last : null;
}
