// One sentence per rule, for hovers and reports: what the rule rewards, in the user's own terms.
import type { Extractor, Rule } from './schema';

function extractorPhrase(ex: Extractor): string {
  switch (ex.type) {
    case 'lastNumber':
      return 'the last number in the completion';
    case 'boxed':
      return 'the last \\boxed{…} answer';
    case 'tag':
      return `the content of the last <${ex.tag}>…</${ex.tag}>`;
    case 'regex':
      return `group ${JSON.stringify(ex.group)} of the last match of ${regexCode(ex.pattern, ex.flags)}`;
  }
}

function bounds(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return 'of any length';
}

export function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'answer': {
      const compare =
        rule.compare === 'numeric'
          ? `equals the sample's \`${rule.field}\` as a number (within ${rule.tolerance}${rule.relativeTolerance > 0 ? ` or ${rule.relativeTolerance}×` : ''})`
          : rule.compare === 'oneOf'
            ? `is one of the values in the sample's \`${rule.field}\``
            : `equals the sample's \`${rule.field}\` after normalisation`;
      return `Rewards a completion when ${extractorPhrase(rule.extract)} ${compare}.`;
    }
    case 'format': {
      const parts: string[] = [];
      const tags = rule.tags ?? [];
      if (tags.length > 0) {
        const list = tags.map((t) => `<${t}>…</${t}>`).join(rule.order ? ' then ' : ' and ');
        parts.push(
          `has ${list}${rule.exactlyOnce ? ', each exactly once' : ''}${rule.allowTextOutside ? '' : ', with nothing but whitespace outside them'}`,
        );
      }
      if (rule.pattern !== undefined) parts.push(`matches ${regexCode(rule.pattern, rule.flags)} as a whole`);
      return `Rewards a completion that ${parts.join(' and ')}.`;
    }
    case 'regex':
      return rule.mode === 'mustMatch'
        ? `Rewards a completion that contains a match of ${regexCode(rule.pattern, rule.flags)}.`
        : `Rewards a completion that contains no match of ${regexCode(rule.pattern, rule.flags)}.`;
    case 'length':
      return `Rewards a completion ${bounds(rule.min, rule.max)} ${rule.unit === 'tokens' ? 'whitespace-separated words' : 'characters'} long.`;
    case 'all':
      return `Rewards a completion when every one of ${rule.rules.map((r) => `\`${r}\``).join(', ')} passes.`;
    case 'any':
      return `Rewards a completion when at least one of ${rule.rules.map((r) => `\`${r}\``).join(', ')} passes.`;
    case 'not':
      return `Rewards a completion when \`${rule.rule}\` fails.`;
  }
}

/**
 * A pattern as a code span: the hover renders these sentences as Markdown, where `[0-9]` or `*` would otherwise be
 * read as links and emphasis. A pattern holding backticks gets a longer fence, as CommonMark allows.
 */
function regexCode(pattern: string, flags: string): string {
  const longest = Math.max(0, ...(pattern.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 ? ' ' : '';
  return `${fence}${pad}/${pattern}/${flags}${pad}${fence}`;
}
