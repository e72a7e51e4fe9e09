// Rule snippets offered in `rules` arrays, and the starter file of "BNPO: New Reward Rules File".
// Bodies use VS Code snippet syntax ($1, ${1:default}); JSON backslashes are doubled once more for the snippet.

export interface RuleSnippet {
  label: string;
  detail: string;
  documentation: string;
  body: string;
}

export const ruleSnippets: readonly RuleSnippet[] = [
  {
    label: 'R1 format: <think>…</think><answer>…</answer>',
    detail: 'format rule',
    documentation:
      'DeepSeek-R1 style: reasoning inside `<think>`, then the answer inside `<answer>`, each exactly once, in that order, nothing else outside.',
    body: [
      '{',
      '\t"name": "${1:format}",',
      '\t"kind": "format",',
      '\t"description": "Reasoning in <think>, then the answer in <answer>",',
      '\t"tags": ["think", "answer"],',
      '\t"allowTextOutside": ${2|false,true|}',
      '}',
    ].join('\n'),
  },
  {
    label: 'Boxed-answer accuracy',
    detail: 'answer rule',
    documentation:
      "The last `\\boxed{…}` in the completion equals the sample's `answer` (exact, after normalisation).",
    body: [
      '{',
      '\t"name": "${1:accuracy}",',
      '\t"kind": "answer",',
      '\t"extract": { "type": "boxed" },',
      '\t"field": "${2:answer}",',
      '\t"compare": "${3|exact,numeric,oneOf|}"',
      '}',
    ].join('\n'),
  },
  {
    label: 'Numeric answer with tolerance',
    detail: 'answer rule',
    documentation:
      "The answer inside `<answer>` is a number within the tolerance of the sample's `answer` (fractions and thousands commas understood).",
    body: [
      '{',
      '\t"name": "${1:accuracy}",',
      '\t"kind": "answer",',
      '\t"extract": { "type": "${2|tag,lastNumber,boxed|}" },',
      '\t"field": "${3:answer}",',
      '\t"compare": "numeric",',
      '\t"tolerance": ${4:1e-6}',
      '}',
    ].join('\n'),
  },
  {
    label: 'Length cap (words)',
    detail: 'length rule',
    documentation: 'At most N whitespace-separated words: discourages rambling.',
    body: [
      '{',
      '\t"name": "${1:concise}",',
      '\t"kind": "length",',
      '\t"unit": "tokens",',
      '\t"max": ${2:512}',
      '}',
    ].join('\n'),
  },
  {
    label: 'Forbidden pattern',
    detail: 'regex rule',
    documentation: 'Rewarded when the completion contains no match of a pattern (RE2 syntax).',
    body: [
      '{',
      '\t"name": "${1:noHedging}",',
      '\t"kind": "regex",',
      '\t"pattern": "${2:(?i)as an ai}",',
      '\t"mode": "mustNotMatch"',
      '}',
    ].join('\n'),
  },
];

export const starterRulesFile = `// Reward rules for BNPO Studio. Each rule scores a completion 0 or 1; each rule with "reward": true
// (the default) is its own binary reward component, which BNPO normalises separately.
// Rule kinds: answer, format, regex, length, and all / any / not to combine other rules by name.
// Regexes use RE2 syntax (linear time: no backreferences or lookaround); double backslashes in JSON: "\\\\d+".
// Check this file:   bnpo rules check FILE
// Dry-run it:        "Test rules on samples" above "rules", or bnpo rules test FILE --samples SAMPLES.jsonl
// Audit it:          "Audit" above "rules", or bnpo rules audit FILE --dataset DATA.jsonl (docs/reward-audit.md)
{
  "description": "R1-style format and a numeric answer",
  "rules": [
    {
      // <think>…</think> then <answer>…</answer>, each once and not empty, nothing outside them
      // (without the pattern, empty tags would pass: see "Audit" above "rules")
      "name": "format",
      "kind": "format",
      "tags": ["think", "answer"],
      "allowTextOutside": false,
      "pattern": "\\\\s*<think>.*\\\\S.*</think>\\\\s*<answer>.*\\\\S.*</answer>\\\\s*",
      "flags": "s"
    },
    {
      // the content of <answer> equals the sample's "answer" as a number
      "name": "accuracy",
      "kind": "answer",
      "extract": { "type": "tag", "tag": "answer" },
      "field": "answer",
      "compare": "numeric",
      "tolerance": 1e-6
    },
    {
      // a helper: not a reward by itself, used by "tidy" below
      "name": "short",
      "kind": "length",
      "unit": "tokens",
      "max": 512,
      "reward": false
    },
    {
      "name": "tidy",
      "kind": "all",
      "rules": ["format", "short"],
      "weight": 0.5
    }
  ]
}
`;
