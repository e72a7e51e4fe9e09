// A typo'd config key is reported where it is written, with the key it was probably meant to be. The keys that
// exist are read from the run config's JSON Schema (the same one editors validate with), so they cannot drift.
import type { Node } from 'jsonc-parser';
import { findNodeAtLocation } from 'jsonc-parser';

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbours one each (optimal string
 * alignment): a swapped pair, the commonest typo, is as near as one wrong letter.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate nearest to `word`, when it is near enough to be a typo of it (case ignored). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const key of candidates) {
    const distance = editDistance(word.toLowerCase(), key.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
};

/** The keys a config's JSON Schema allows in the object at `path`. */
export function configKeysAt(jsonSchema: object, path: readonly PropertyKey[]): string[] {
  let node: SchemaNode | undefined = jsonSchema;
  const objectOf = (n: SchemaNode | undefined): SchemaNode | undefined =>
    n?.properties !== undefined ? n : [...(n?.anyOf ?? []), ...(n?.oneOf ?? [])].find((c) => c.properties);
  for (const segment of path) {
    const here = objectOf(node);
    node = typeof segment === 'number' ? (node?.items ?? here?.items) : here?.properties?.[String(segment)];
  }
  return Object.keys(objectOf(node)?.properties ?? {});
}

/** `unknown key 'stpes' (did you mean 'steps'?)` and the offset of the key in the file, for each unknown key. */
export function unknownKeyProblems(
  jsonSchema: object,
  tree: Node | undefined,
  path: readonly PropertyKey[],
  keys: readonly string[],
): { readonly offset: number | undefined; readonly message: string }[] {
  const known = configKeysAt(jsonSchema, path);
  return keys.map((key) => {
    const value = tree ? findNodeAtLocation(tree, [...path, key] as (string | number)[]) : undefined;
    const suggestion = closest(key, known);
    return {
      // The property node starts at the key's opening quote.
      offset: value?.parent?.offset,
      message: `unknown key '${key}'${suggestion !== undefined ? ` (did you mean '${suggestion}'?)` : ''}`,
    };
  });
}
