// The Podman driver against the real Podman: containers whose processes were killed without a
// reboot (Podman still lists them as running) are removed so they can be created again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { run } from '../../lib/spawn.js';
import { PodmanRuntime } from './podman.js';
import { BASE_IMAGE, ensureBaseImage } from './base-image.js';

const podman = new PodmanRuntime();
const rawState = async (name: string) =>
  (await run(['podman', 'container', 'inspect', '--format', '{{.State.Status}} {{.State.Pid}} {{.State.ConmonPid}}', name], { check: false })).stdout.trim();

test('a container killed with its conmon (no reboot) is seen as gone, then runs again under its name', { timeout: 600_000 }, async () => {
  await ensureBaseImage(podman);
  const name = `fh-ghost-${randomBytes(3).toString('hex')}`;
  const label = `freehold.test-ghost=${name}`;
  const spec = { name, image: BASE_IMAGE, command: ['sleep', 'infinity'], labels: { 'freehold.test-ghost': name } };
  try {
    await podman.run(spec);
    const [state, pid, conmon] = (await rawState(name)).split(' ');
    assert.equal(state, 'running');
    // What ending every process of a machine without rebooting it does: no exit is recorded.
    await run(['kill', '-9', conmon, pid]);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(await rawState(name), /^running /, 'podman itself still believes it runs');
    const execFails = await podman.exec(name, ['true']);
    assert.notEqual(execFails.code, 0);

    assert.deepEqual(await podman.list(label), [], 'list leaves it out');
    assert.equal(await podman.inspect(name), null, 'inspect sees it gone');
    assert.equal(await rawState(name), '', 'and it was removed from podman');

    await podman.run(spec);
    assert.equal((await podman.inspect(name))?.state, 'running');
    assert.equal((await podman.exec(name, ['true'])).code, 0);
  } finally {
    await run(['podman', 'rm', '-f', name], { check: false });
    await run(['podman', 'rm', '-f', name], { check: false });
  }
});

test('a container whose process has just exited, its conmon still recording it, is exited, not a ghost', { timeout: 600_000 }, async () => {
  await ensureBaseImage(podman);
  const name = `fh-exiting-${randomBytes(3).toString('hex')}`;
  const label = `freehold.test-exiting=${name}`;
  try {
    await podman.run({ name, image: BASE_IMAGE, command: ['sleep', 'infinity'], labels: { 'freehold.test-exiting': name } });
    const [, pid, conmon] = (await rawState(name)).split(' ');
    // conmon held still: the process is gone and Podman has not yet been told.
    await run(['kill', '-STOP', conmon]);
    try {
      await run(['kill', '-9', pid]);
      await new Promise((r) => setTimeout(r, 200));
      assert.match(await rawState(name), /^running /, 'podman itself still believes it runs');
      assert.equal((await podman.inspect(name))?.state, 'exited');
      assert.deepEqual((await podman.list(label)).map((c) => c.state), ['exited']);
    } finally {
      await run(['kill', '-CONT', conmon]);
    }
    assert.match(await rawState(name), /^(running|exited|stopped) /, 'not removed');
  } finally {
    await run(['podman', 'rm', '-f', name], { check: false });
  }
});

test('a running container and a stopped one are left alone', { timeout: 600_000 }, async () => {
  await ensureBaseImage(podman);
  const name = `fh-alive-${randomBytes(3).toString('hex')}`;
  try {
    await podman.run({ name, image: BASE_IMAGE, command: ['sleep', 'infinity'] });
    assert.equal((await podman.inspect(name))?.state, 'running');
    await podman.stop(name, 1);
    assert.equal((await podman.inspect(name))?.state, 'exited');
    await podman.start(name);
    assert.equal((await podman.inspect(name))?.state, 'running');
  } finally {
    await podman.remove(name);
  }
});
