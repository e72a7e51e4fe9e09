// The JSON Schema VS Code uses for run-configuration files (`*.bnporun.json`): completion, hover and schema errors
// come from the one zod schema. `npm run schemas` writes it to media/schemas/; a unit test fails when that copy is
// stale.
import { z } from 'zod';
import { RunConfigSchema } from './runConfig';

export const RUN_CONFIG_FILE_SUFFIX = '.bnporun.json';
export const RUN_CONFIG_JSON_SCHEMA_FILE = 'media/schemas/bnporun.schema.json';

export function runConfigEditorSchema(): Record<string, unknown> {
  // draft-7: the dialect VS Code's JSON support implements fully; io 'input': defaulted fields stay optional.
  const generated = z.toJSONSchema(RunConfigSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
  });
  return {
    ...generated,
    // The trainer reads run configs as JSON with comments; the editor must not flag what it accepts.
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** The exact text of the committed file, so the staleness test compares bytes, not just shapes. */
export function runConfigJsonSchemaText(): string {
  return `${JSON.stringify(runConfigEditorSchema(), null, 2)}\n`;
}
