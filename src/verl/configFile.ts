// Reading a `*.verl.json` file: JSON with comments, validated against VerlRunConfigSchema, every problem located
// as file:line:col and field. Separate from the schema (src/protocol/verl.ts) so the schema module stays free of the parser.
import { ConfigFileError, parseConfigText } from '../core/configText';
import type { VerlRunConfig } from '../protocol/verl';
import { VerlRunConfigSchema } from '../protocol/verl';

/** A problem with a verl config file, `file:line:col: field: message` when the place is known. */
export class VerlConfigError extends ConfigFileError {
  override readonly name = 'VerlConfigError';
}

/** Parses and validates a `*.verl.json` text (comments and trailing commas allowed); throws VerlConfigError. */
export function parseVerlConfig(text: string, file: string): VerlRunConfig {
  return parseConfigText(text, file, VerlRunConfigSchema, VerlConfigError);
}
