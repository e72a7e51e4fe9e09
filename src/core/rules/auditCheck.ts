// The editor's audit warning: a rule that rewards an empty or tags-only completion (the pre-run audit's worst
// finding) is a warning on its `kind`. Pure, like check.ts: the host's diagnostics call it after a clean check.
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { auditRules, FORM_LABELS, rewardsNothing } from './audit';
import type { RuleDiagnostic } from './check';
import { LineIndex } from './check';
import { compileRules } from './engine';
import type { RewardRules } from './schema';

export function auditDiagnostics(text: string, rules: RewardRules): RuleDiagnostic[] {
  const root = parseTree(text);
  if (root === undefined) return [];
  const lines = new LineIndex(text);
  const report = auditRules(compileRules(rules), []);
  return report.rules.flatMap((audit, i): RuleDiagnostic[] => {
    const finding = rewardsNothing(audit);
    if (finding === undefined) return [];
    const path = ['rules', i, 'kind'];
    const node = findNodeAtLocation(root, path) ?? findNodeAtLocation(root, ['rules', i]);
    if (node === undefined) return [];
    return [
      {
        message:
          `rule '${audit.name}' rewards a degenerate completion (${FORM_LABELS[finding.form]}: ` +
          `${JSON.stringify(finding.example)}): a policy can learn to output it; see bnpo rules audit`,
        severity: 'warning',
        range: { start: lines.position(node.offset), end: lines.position(node.offset + node.length) },
        path,
        source: 'semantic',
        code: 'rewards-degenerate',
      },
    ];
  });
}
