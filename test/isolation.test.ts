// Installations are isolated: each on its own network, an app cannot reach another
// installation's containers, and it reaches the addon servers only with its own credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { podman } from './helpers/leftovers.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

const tryConnect = (from: string, host: string, port: number) =>
  podman.exec(from, ['python3', '-c', `import socket,sys\ntry:\n socket.create_connection((${JSON.stringify(host)}, ${port}), timeout=3); print('connected')\nexcept Exception as e:\n print('refused', e); sys.exit(1)`]);

test('an installation cannot reach another installation, and its container is locked down', { timeout: 600_000 }, async () => {
  const a = uniqueName('iso');
  const b = uniqueName('iso');
  const c = uniqueName('iso');
  for (const n of [a, b, c]) assert.equal((await fh.install('radicale', n)).task.status, 'succeeded');
  // Tearing down another installation's network must not lift the isolation of the rest
  // (netavark 1.4 drops its own isolation jump when any isolated network goes).
  assert.equal((await fh.uninstall(c)).status, 'succeeded');
  const infoB = (await podman.exec(`fh-${b}-web`, ['python3', '-c', 'import socket; print(socket.gethostbyname(socket.gethostname()))'])).stdout.trim();
  assert.match(infoB, /^\d+\.\d+\.\d+\.\d+$/);

  const self = await tryConnect(`fh-${a}-web`, 'web', 5232);
  assert.equal(self.code, 0, `an app reaches its own component by name: ${self.stdout}`);
  const byIp = await tryConnect(`fh-${a}-web`, infoB, 5232);
  assert.notEqual(byIp.code, 0, `A must not reach B at ${infoB}: ${byIp.stdout}`);
  const byName = await tryConnect(`fh-${a}-web`, `fh-${b}-web`, 5232);
  assert.notEqual(byName.code, 0, 'A cannot even resolve B');

  const ro = await podman.exec(`fh-${a}-web`, ['sh', '-c', 'touch /usr/evil']);
  assert.notEqual(ro.code, 0, 'root filesystem is read-only');
  assert.match(ro.stderr, /Read-only file system/);
  for (const dir of ['/data', '/tmp', '/run']) {
    const w = await podman.exec(`fh-${a}-web`, ['sh', '-c', `touch ${dir}/ok && echo yes`]);
    assert.equal(w.stdout.trim(), 'yes', `${dir} is writable`);
  }
  const who = await podman.exec(`fh-${a}-web`, ['id', '-un']);
  assert.equal(who.stdout.trim(), 'radicale', 'runs as the user the manifest names');

  for (const n of [a, b]) assert.equal((await fh.uninstall(n)).status, 'succeeded');
});
