// Builds every bundle of the product:
//   dist/extension.js      the extension host's entry: activation's stubs only (node, cjs, `vscode` external)
//   dist/features.js       every feature of the extension host, required by those stubs after activation
//   dist/cli.js            the `bnpo` CLI; `bnpo train` is also the trainer child process (node)
//   dist/webview/<panel>.js  one browser bundle per webview panel (webview/<panel>/main.ts)
// Flags: --production (minify, no source maps), --watch.
'use strict';
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = __dirname;
const dist = path.join(root, 'dist');

/** Prints esbuild's problems in the `file:line:col: message` form editors and CI understand. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of [...result.errors, ...result.warnings]) {
        const where = location ? `${location.file}:${location.line}:${location.column}: ` : '';
        console.error(`${where}${text}`);
      }
    });
  },
};

/** The wasm backend fetches its binaries at run time; they must sit next to the CLI bundle (and ship in the .vsix). */
function copyWasmBinaries() {
  const from = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const name of [
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
  ]) {
    fs.copyFileSync(path.join(from, name), path.join(dist, name));
  }
}

function webviewEntries() {
  const dir = path.join(root, 'webview');
  if (!fs.existsSync(dir)) return {};
  const entries = {};
  for (const panel of fs.readdirSync(dir)) {
    const main = path.join(dir, panel, 'main.ts');
    if (fs.existsSync(main)) entries[panel] = main;
  }
  return entries;
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  plugins: [problemMatcher],
  legalComments: 'none',
};

// Node bundles prefer a package's ESM build: UMD builds (jsonc-parser's) require their own files at run
// time, which a bundle cannot resolve.
const nodeMainFields = ['module', 'main'];

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts', features: 'src/host/lazyFeatures.ts' },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: nodeMainFields,
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: nodeMainFields,
    banner: { js: '#!/usr/bin/env node' },
    // Optional native or ESM-only GPU packages are loaded at run time when present; never bundled.
    external: ['webgpu', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  },
  {
    ...common,
    entryPoints: webviewEntries(),
    outdir: path.join(dist, 'webview'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text', '.ttf': 'file' },
  },
];

async function main() {
  fs.mkdirSync(dist, { recursive: true });
  copyWasmBinaries();
  const active = builds.filter((options) => Object.keys(options.entryPoints).length > 0);
  const contexts = await Promise.all(active.map((options) => esbuild.context(options)));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    console.log('[watch] watching for changes');
    return;
  }
  const results = await Promise.all(contexts.map((ctx) => ctx.rebuild()));
  await Promise.all(contexts.map((ctx) => ctx.dispose()));
  const errors = results.reduce((n, r) => n + r.errors.length, 0);
  if (errors > 0) process.exit(1);
  if (fs.existsSync(path.join(dist, 'cli.js'))) fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
