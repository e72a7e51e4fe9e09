// Every user-supplied pattern runs on RE2 (re2js): matching is linear in the input, so no pattern in a rule file
// can stall the trainer. RE2 lacks backreferences and lookaround; those become a clear diagnostic instead.
import { RE2JS, RE2JSException } from 're2js';

export type CompiledRegex = { ok: true; re: RE2JS } | { ok: false; message: string };

const flagBits: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
};

/** Why RE2 refused a pattern, in the words of someone who wrote it for JavaScript or Python. */
function explain(pattern: string, description: string): string {
  if (/\\[1-9]/.test(pattern) || /\\k</.test(pattern)) {
    return `backreferences (\\1, \\k<name>) are not supported: rules use RE2, which matches in linear time (${description})`;
  }
  if (/\(\?<?[=!]/.test(pattern)) {
    return `lookahead/lookbehind ((?=…), (?!…), (?<=…), (?<!…)) is not supported: rules use RE2, which matches in linear time (${description})`;
  }
  if (/\(\?>/.test(pattern) || /[*+?}]\+/.test(pattern)) {
    return `atomic groups and possessive quantifiers are not supported by RE2 (${description})`;
  }
  return `invalid regular expression: ${description}`;
}

export function compileRegex(pattern: string, flags = ''): CompiledRegex {
  let bits = 0;
  for (const f of flags) {
    const bit = flagBits[f];
    if (bit === undefined) return { ok: false, message: `unknown regex flag '${f}' (allowed: i, m, s)` };
    bits |= bit;
  }
  try {
    return { ok: true, re: RE2JS.compile(pattern, bits) };
  } catch (err) {
    if (err instanceof RE2JSException) {
      const described =
        (err as RE2JSException & { getDescription?: () => string }).getDescription?.() ?? err.message;
      return { ok: false, message: explain(pattern, described) };
    }
    throw err;
  }
}

/** Named groups of a compiled pattern, for checking an extractor's `group`. */
export function namedGroups(re: RE2JS): readonly string[] {
  return Object.keys(re.namedGroups());
}
