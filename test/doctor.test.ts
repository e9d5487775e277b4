// `freehold doctor` on this machine: every check passes once setup has run, and a port taken by
// another program is reported with how to find it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { doctor } from '../src/cli/doctor.js';
import { freePort } from '../src/lib/net.js';

test('doctor: all checks pass on a machine set up by scripts/setup.sh', { timeout: 120_000 }, async () => {
  const checks = await doctor({ httpsPort: await freePort(), httpPort: await freePort(), dataDir: '/nonexistent' });
  const failed = checks.filter((c) => !c.ok);
  assert.deepEqual(failed, [], JSON.stringify(failed));
  assert.ok(checks.some((c) => c.name === 'podman runs containers'));
});

test('doctor: a port in use by another program fails with the fix', async () => {
  const port = await freePort();
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '0.0.0.0', r));
  try {
    const checks = await doctor({ httpsPort: port, httpPort: await freePort(), dataDir: '/nonexistent' });
    const c = checks.find((x) => x.name === `port ${port} available for Caddy`)!;
    assert.equal(c.ok, false);
    assert.match(c.detail, /in use by another program/);
    assert.match(c.fix ?? '', /ss -ltnp sport = :\d+/);
  } finally {
    s.close();
  }
});
