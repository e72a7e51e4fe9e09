// `npm run schemas`: writes every JSON Schema the extension ships from its zod source, and the docs generated
// from them. Add a line per schema.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesJsonSchemaFile, rulesJsonSchemaText } from '../../src/protocol/rulesJsonSchema';
import { runConfigJsonSchemaFile, runConfigJsonSchemaText } from '../../src/protocol/runConfigJsonSchema';
import { runConfigDocFile, runConfigDocText } from './runConfigDoc';
import { verlJsonSchemaFile, verlJsonSchemaText } from '../../src/protocol/verl';

const schemas: { file: string; text: () => string }[] = [
  { file: rulesJsonSchemaFile, text: rulesJsonSchemaText },
  { file: runConfigJsonSchemaFile, text: runConfigJsonSchemaText },
  { file: verlJsonSchemaFile, text: verlJsonSchemaText },
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
