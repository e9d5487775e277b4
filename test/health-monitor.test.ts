// The health monitor on a real app: a healthy installation raises nothing; one whose container is
// paused (running, but not answering: the reconcile loop is kept out of the way) raises one
// app_unhealthy alert once the threshold has passed, sent to a webhook once however long it lasts;
// unpaused, it raises app_recovered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { leftovers } from './helpers/leftovers.js';
import { freePort, sleep } from '../src/lib/net.js';
import { run } from '../src/lib/spawn.js';

const HEALTH_INTERVAL_S = 1;
const UNHEALTHY_AFTER_S = 3;

let fh: TestFreehold;
let hook: Server;
const hooks: { event: any }[] = [];

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => hook.listen(port, '127.0.0.1', r));
  // The reconcile loop (default: hourly in tests) would see the paused container as drift.
  fh = await TestFreehold.start({ healthIntervalSeconds: HEALTH_INTERVAL_S, unhealthyAfterSeconds: UNHEALTHY_AFTER_S });
  await fh.request('POST', '/api/alert-channels', { name: 'hook', kind: 'webhook', url: `http://127.0.0.1:${port}/hook` });
});
after(async () => {
  await fh?.stop();
  await new Promise((r) => hook?.close(r));
});

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const eventsOf = async (name: string): Promise<any[]> => (await fh.request('GET', `/api/events?installation=${name}`)).events;
const hooksOf = (name: string, kind: string) => hooks.filter((h) => h.event.installation === name && h.event.kind === kind);

test('an app unhealthy for longer than the threshold is one alert; its recovery is another', { timeout: 600_000 }, async () => {
  const name = uniqueName('sick');
  assert.equal((await fh.install('radicale', name)).task.status, 'succeeded');
  const container = `fh-${name}-web`;

  // Healthy: several probes and more than the threshold go by without an event.
  await sleep((UNHEALTHY_AFTER_S + 5 * HEALTH_INTERVAL_S) * 1000);
  assert.deepEqual(await eventsOf(name), [], 'a healthy app raises nothing');
  const healthOf = async () => (await fh.request('GET', '/api/health/installations')).health[name];
  assert.equal((await healthOf()).state, 'healthy');

  await run(['podman', 'pause', container]);
  const pausedAt = Date.now();
  try {
    const unhealthy = await until('the app_unhealthy event', async () => (await eventsOf(name)).find((e) => e.kind === 'app_unhealthy'));
    assert.ok(Date.now() - pausedAt >= UNHEALTHY_AFTER_S * 1000, 'not before the threshold');
    assert.equal(unhealthy.severity, 'error');
    assert.equal(unhealthy.taskId, null);
    assert.match(unhealthy.message, new RegExp(`^${name} is unhealthy: component web has failed its health check since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\([\\d.]+ min\\); last error: no answer within 5 s; see "freehold status ${name}" and "freehold logs ${name}"$`));
    await until('the webhook', () => (hooksOf(name, 'app_unhealthy').length ? true : undefined));
    assert.equal(hooksOf(name, 'app_unhealthy')[0].event.message, unhealthy.message);
    const health = await healthOf();
    assert.equal(health.state, 'unhealthy');
    assert.equal(health.component, 'web');
    assert.match(health.error, /no answer within 5 s/);

    // Still unhealthy for a while longer: no repeat.
    await sleep((UNHEALTHY_AFTER_S + 5 * HEALTH_INTERVAL_S) * 1000 + 10_000);
    assert.equal((await eventsOf(name)).filter((e) => e.kind === 'app_unhealthy').length, 1, 'one event while it stays unhealthy');
    assert.equal(hooksOf(name, 'app_unhealthy').length, 1, 'sent once');
  } finally {
    await run(['podman', 'unpause', container], { check: false });
  }

  const recovered = await until('the app_recovered event', async () => (await eventsOf(name)).find((e) => e.kind === 'app_recovered'));
  assert.equal(recovered.severity, 'info');
  assert.match(recovered.message, new RegExp(`^${name} is healthy again`));
  await until('the recovery webhook', () => (hooksOf(name, 'app_recovered').length ? true : undefined));
  assert.equal((await healthOf()).state, 'healthy');

  // Healthy again and staying so: nothing more.
  await sleep((UNHEALTHY_AFTER_S + 3 * HEALTH_INTERVAL_S) * 1000);
  assert.deepEqual((await eventsOf(name)).map((e) => e.kind).sort(), ['app_recovered', 'app_unhealthy']);
  assert.equal(hooks.filter((h) => h.event.installation === name).length, 2);

  assert.equal((await fh.uninstall(name)).status, 'succeeded');
  assert.deepEqual(await leftovers(fh, name), []);
});
