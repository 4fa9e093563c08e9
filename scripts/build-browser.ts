/**
 * @file `npm run build:browser` (or `tsx scripts/build-browser.ts OUT.js`): bundles the browser
 * entry (src/api/browser.ts: load and run saved wasm models) into one ESM file with esbuild.
 * The browser test builds the same bundle through `buildBrowserBundle`.
 *
 * Node built-ins stay external: the load path imports them only behind a check that it runs in
 * Node, as does the file helper a path is read through (a browser fetches a URL instead).
 */

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../src/api/browser.ts', import.meta.url));

export async function buildBrowserBundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['node:*', '*/saved/files.js'],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (out === undefined) {
    process.stderr.write('usage: tsx scripts/build-browser.ts OUT.js\n');
    process.exit(2);
  }
  await buildBrowserBundle(out);
}
