// The built control plane as the README's first command starts it (`bin/freehold.js up` from
// dist/, with the launcher's node options and malloc setting): it serves the web UI, its assets
// and the API docs, and answers the API only with the admin token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BuiltControlPlane } from './helpers/built-control-plane.js';

let cp: BuiltControlPlane;
before(async () => (cp = await BuiltControlPlane.start()));
after(async () => cp?.stop());

test('the built control plane serves the web UI, its assets and the API docs', async () => {
  const base = cp.client.url;
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<div id="root"><\/div>/, html.slice(0, 300));
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(script, 'the page names its script');
  const js = await fetch(`${base}${script}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  // An app route reloaded in the browser gets the page too.
  assert.match(await (await fetch(`${base}/installations/anything`)).text(), /<div id="root"><\/div>/);
  assert.equal((await fetch(`${base}/docs`, { redirect: 'follow' })).status, 200);
  assert.equal((await fetch(`${base}/api/installations`)).status, 401);
  assert.deepEqual(await cp.client.request('GET', '/api/installations'), { installations: [] });
});

test('the launcher runs node with its options and MALLOC_ARENA_MAX=2', () => {
  const env = readFileSync(`/proc/${cp.pid}/environ`, 'utf8').split('\0');
  assert.ok(env.includes('MALLOC_ARENA_MAX=2'), 'malloc arenas are limited');
  const argv = readFileSync(`/proc/${cp.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(argv.includes('--max-semi-space-size=1') && argv.includes('--optimize-for-size'), argv.join(' '));
});
