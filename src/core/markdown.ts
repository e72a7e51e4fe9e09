// Text from run folders (run.json, metrics) is data, not markup: a run name such as `![x](https://…)` must not
// load an image in a tooltip, nor `$(icon)` draw an icon, nor `**` start bold text.

/**
 * The text as literal Markdown on one line: every ASCII punctuation mark Markdown, HTML or VS Code's theme icons
 * (`$(…)`) could read is backslash-escaped (CommonMark allows escaping any of them), line breaks become spaces.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()<>#+\-.!|~$&"':;=^%@,?/]/g, '\\$&');
}

/**
 * The text as an inline code span on one line, fenced by more backticks than any run of them inside, so nothing
 * in it ends the span early. (For Markdown that renders theme icons, prefer escapeMarkdown: spans may show them.)
 */
export function markdownCode(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}
