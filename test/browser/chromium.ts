/**
 * @file Driving headless Chromium for the browser tests, with nothing but the system's
 * `chromium` (Debian's package): a page served by the test on an ephemeral localhost port,
 * cross-origin isolated (COOP/COEP, for SharedArrayBuffer and threads), posts its result back
 * to the server. The browser runs in a process group of its own, killed whatever happens.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The Chromium binary, or null when none is installed. */
export function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  return null;
}

export interface Served {
  readonly body: string | Uint8Array;
  readonly type: string;
}

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Serves `files` (by path, '/' for the page), opens the page in headless Chromium and resolves
 * with the text the page POSTs to /result; rejects after `timeoutMs`. The browser, its user
 * data folder and the server are gone when it settles.
 */
export async function runPage(chromium: string, files: Readonly<Record<string, Served>>, timeoutMs: number): Promise<string> {
  let deliver: (text: string) => void = () => undefined;
  const result = new Promise<string>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === '/result') {
      void readBody(req).then((text) => {
        res.writeHead(204, ISOLATION).end();
        deliver(text);
      });
      return;
    }
    const file = Object.hasOwn(files, url.pathname) ? files[url.pathname] : undefined;
    if (req.method !== 'GET' || file === undefined) {
      res.writeHead(404, ISOLATION).end();
      return;
    }
    res.writeHead(200, { ...ISOLATION, 'Content-Type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const profile = await mkdtemp(path.join(tmpdir(), 'kiln-chromium-'));
  let browser: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    browser = spawn(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`],
      { detached: true, stdio: 'ignore' },
    );
    const exited = new Promise<never>((_, reject) => {
      browser?.once('exit', (code) => reject(new Error(`chromium exited (code ${code}) before the page reported`)));
      browser?.once('error', reject);
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the page did not report within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([result, exited, timeout]);
  } finally {
    clearTimeout(timer);
    await killGroup(browser);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Kills the browser's process group (its renderers and helpers too) and waits for it to exit. */
async function killGroup(p: ChildProcess | undefined): Promise<void> {
  if (p?.pid === undefined) return;
  const running = p.exitCode === null && p.signalCode === null;
  const gone = running ? new Promise<void>((resolve) => p.once('exit', () => resolve())) : Promise.resolve();
  try {
    // the group outlives the browser process when helpers are left behind
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    if (running) p.kill('SIGKILL');
  }
  await gone;
}
