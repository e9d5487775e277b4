// The reconcile loop notices drift made by hand (container stopped, container removed, route
// deleted) and repairs it, recording a repair task.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { podman, waitServing } from './helpers/leftovers.js';
import { CaddyEdge } from '../src/drivers/edge/caddy.js';
import { run } from '../src/lib/spawn.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start({ reconcileIntervalSeconds: 1 })));
after(async () => fh?.stop());

test('drift by hand is repaired by the reconcile loop', { timeout: 600_000 }, async () => {
  const name = uniqueName('drift');
  const domain = `${name}.localhost`;
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  const container = `fh-${name}-web`;
  const repairs = async () => (await fh.request('GET', `/api/tasks?installation=${name}`)).tasks.filter((t: any) => t.kind === 'repair');

  await podman.stop(container, 1);
  await waitServing(fh, domain, '/.web/');
  assert.equal((await podman.inspect(container))?.state, 'running');

  const before = (await podman.inspect(container))!.id;
  await podman.remove(container);
  await waitServing(fh, domain, '/.web/');
  const after = await podman.inspect(container);
  assert.ok(after && after.id !== before, 'a new container replaced the removed one');

  // Its processes killed without a reboot (Podman still lists it as running): made again.
  const ghost = (await run(['podman', 'container', 'inspect', '--format', '{{.Id}} {{.State.Pid}} {{.State.ConmonPid}}', container])).stdout.trim().split(' ');
  await run(['kill', '-9', ghost[2], ghost[1]]);
  await waitServing(fh, domain, '/.web/', 90_000);
  const remade = await podman.inspect(container);
  assert.ok(remade && remade.id !== ghost[0], 'a new container replaced the dead one');

  const edge = new CaddyEdge({ dir: join(fh.dataDir, 'caddy') });
  await edge.removeRoute(`fh-${name}`);
  await waitServing(fh, domain, '/.web/');
  assert.ok(await edge.getRoute(`fh-${name}`));

  // The isolation rule of its network removed by hand (e.g. a firewall reload) comes back.
  const { readFileSync } = await import('node:fs');
  const bridge = JSON.parse(readFileSync(`/etc/containers/networks/fh-${name}.json`, 'utf8')).network_interface;
  const rule = ['FORWARD', '-i', bridge, '!', '-o', bridge, '-j', 'FREEHOLD-ISOLATION'];
  await run(['iptables', '-w', '-D', ...rule]);
  const deadline = Date.now() + 30_000;
  while ((await run(['iptables', '-w', '-C', ...rule], { check: false })).code !== 0) {
    assert.ok(Date.now() < deadline, 'isolation rule put back');
    await new Promise((r) => setTimeout(r, 200));
  }

  const done = await repairs();
  assert.ok(done.length >= 4, `a repair task per drift (got ${done.length})`);
  assert.ok(done.every((t: any) => t.status === 'succeeded'));
  const plan = await fh.request('GET', `/api/installations/${name}/plan`);
  assert.deepEqual(plan.steps, [], 'nothing left to do');
  assert.equal((await fh.uninstall(name)).status, 'succeeded');
});
