// `npm run schemas`: writes every JSON Schema the extension ships from its zod source, and the docs generated
// from them. Add a line per schema.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_JSON_SCHEMA_FILE, rulesJsonSchemaText } from '../../src/core/rules/jsonSchema';
import { RUN_CONFIG_JSON_SCHEMA_FILE, runConfigJsonSchemaText } from '../../src/protocol/runConfigJsonSchema';
import { runConfigDocFile, runConfigDocText } from './runConfigDoc';
import { VERL_JSON_SCHEMA_FILE, verlJsonSchemaText } from '../../src/verl/jsonSchema';
import { editorJsonSchemaText } from '../../src/core/editorSchema';
import { TRL_JSON_SCHEMA_FILE, TrlRunConfigSchema } from '../../src/protocol/trl';

const schemas: { file: string; text: () => string }[] = [
  { file: RULES_JSON_SCHEMA_FILE, text: rulesJsonSchemaText },
  { file: RUN_CONFIG_JSON_SCHEMA_FILE, text: runConfigJsonSchemaText },
  { file: VERL_JSON_SCHEMA_FILE, text: verlJsonSchemaText },
  { file: TRL_JSON_SCHEMA_FILE, text: () => editorJsonSchemaText(TrlRunConfigSchema) },
  { file: runConfigDocFile, text: runConfigDocText },
];

// npm runs scripts from the package root; refuse anywhere else rather than write into the wrong tree
const root = process.cwd();
if (!existsSync(join(root, 'package.json')) || !existsSync(join(root, 'media'))) {
  process.stderr.write('writeSchemas: run from the repository root (npm run schemas)\n');
  process.exit(2);
}
for (const s of schemas) {
  writeFileSync(join(root, s.file), s.text());
  process.stdout.write(`wrote ${s.file}\n`);
}
