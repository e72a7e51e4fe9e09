// Answer extractors: each returns the extracted text, or null when the completion holds no such answer.
// The built-in ones are hand-written scanners, each a single pass (linear, no user input in a pattern); `regex`
// runs on RE2 under the scoring budget (./budget).
import type { RE2JS } from 're2js';

/** Numbers as people and models write them: sign, thousands commas, decimals, exponent, a simple fraction. */
const numberPattern =
  /(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?(?:\/\d+)?|(?<![\w.])-?\.\d+/g;

export function extractLastNumber(text: string): string | null {
  return allNumbers(text).at(-1) ?? null;
}

/** Every number of the text, in order (the candidates extractLastNumber chooses from). */
export function allNumbers(text: string): string[] {
  const found: string[] = [];
  numberPattern.lastIndex = 0;
  for (let m = numberPattern.exec(text); m !== null; m = numberPattern.exec(text)) found.push(m[0]);
  return found;
}

/** Where each `\boxed{` / `\fbox{` opens its group: the `{` after the command and optional spaces or tabs. */
function boxOpenings(text: string): Set<number> {
  const openings = new Set<number>();
  for (const command of ['\\boxed', '\\fbox']) {
    for (let at = text.indexOf(command); at >= 0; at = text.indexOf(command, at + command.length)) {
      let i = at + command.length;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === '{') openings.add(i);
    }
  }
  return openings;
}

/**
 * The content of the last `\boxed{…}` (or `\fbox{…}`) whose braces balance; nested braces such as
 * `\boxed{\frac{1}{2}}` are kept whole. An unbalanced last box falls back to the one before it.
 * One pass with a stack of open braces, so degenerate output (thousands of unclosed `\boxed{`) stays linear.
 */
export function extractBoxed(text: string): string | null {
  return allBoxed(text).at(-1) ?? null;
}

/** The content of every balanced `\\boxed{…}` (or `\\fbox{…}`), ordered by where it opens. */
export function allBoxed(text: string): string[] {
  const openings = boxOpenings(text);
  if (openings.size === 0) return [];
  const open: number[] = [];
  const found: [number, string][] = [];
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') {
      j++; // an escaped brace (\{ or \}) does not open or close a group
    } else if (c === '{') {
      open.push(j);
    } else if (c === '}') {
      const from = open.pop();
      // a stray `}` closes nothing; the latest-opening balanced box is the last candidate
      if (from !== undefined && openings.has(from)) found.push([from, text.slice(from + 1, j)]);
    }
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, content]) => content);
}

/** The content of the last complete `<tag>…</tag>` pair. */
export function extractTag(text: string, tag: string): string | null {
  const close = text.lastIndexOf(`</${tag}>`);
  if (close < 0) return null;
  const open = text.lastIndexOf(`<${tag}>`, close);
  if (open < 0) return null;
  return text.slice(open + tag.length + 2, close);
}

/** The content of every complete `<tag>…</tag>` pair, in order (each close pairs with the open before it). */
export function allTags(text: string, tag: string): string[] {
  const found: string[] = [];
  const openTag = `<${tag}>`;
  const closeTag = `</${tag}>`;
  let from = 0;
  for (let close = text.indexOf(closeTag); close >= 0; close = text.indexOf(closeTag, close + 1)) {
    const open = text.lastIndexOf(openTag, close);
    if (open >= from) found.push(text.slice(open + openTag.length, close));
    from = close + closeTag.length;
  }
  return found;
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
