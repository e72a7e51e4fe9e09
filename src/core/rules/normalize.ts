// Normalisation applied to both the extracted answer and the expected value before comparing.
import type { Normalize } from './schema';

export function normalizeText(value: string, n: Normalize): string {
  let s = value;
  if (n.stripDollar) s = s.replace(/\$/g, '');
  if (n.thousandsSeparators) s = s.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  if (n.collapseWhitespace) s = s.replace(/\s+/g, ' ');
  if (n.trim) s = s.trim();
  if (n.stripTrailingPeriod && s.endsWith('.')) s = s.slice(0, -1).trimEnd();
  if (n.caseInsensitive) s = s.toLowerCase();
  return s;
}

const plainNumber = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const fraction = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/;
const texFraction = /^([+-]?)\\[dt]?frac\{\s*([+-]?\d+(?:\.\d+)?)\s*\}\{\s*(\d+(?:\.\d+)?)\s*\}$/;

/**
 * Reads a number from already-normalised text: plain decimals and exponents, `a/b`, `\frac{a}{b}`.
 * Thousands commas are removed here too, so `numeric` compares `1,234` and `1234` as equal whatever the options.
 */
export function parseNumber(text: string): number | null {
  const s = text.replace(/(\d),(?=\d{3}(?!\d))/g, '$1').replace(/\s+/g, '');
  if (plainNumber.test(s)) return Number(s);
  const f = fraction.exec(s);
  if (f) {
    const d = Number(f[2]);
    return d === 0 ? null : Number(f[1]) / d;
  }
  const t = texFraction.exec(s);
  if (t) {
    const d = Number(t[3]);
    if (d === 0) return null;
    const v = Number(t[2]) / d;
    return t[1] === '-' ? -v : v;
  }
  return null;
}
