/**
 * A control plane with many installations for benchmarks: the real services, handlers and SQLite
 * store in a temp directory; only the drivers below the handlers are in-process fakes.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFreehold, type Freehold } from '../src/services/freehold.js';
import { CallCounter, FakeEdge, FakeRuntime, fakeHostContext, useFakeAddons } from './fakes.js';
import { timed } from './lib.js';

/** network, volume + postgres + redis addons, 2 secrets, 2 images, 2 containers, route: 11 resources */
const MANIFEST = `manifestVersion: 1
id: benchapp
title: Bench app
description: Fixture of the benchmarks, about ten resources per installation.
license: MIT
version: "1.0.0"
packageVersion: 1
components:
  web:
    image: localhost/bench/web:1
    http:
      port: 8080
      healthCheck: { path: /health, intervalMs: 50 }
    env:
      SECRET_KEY: "{{ secrets.secret_key }}"
      BASE_URL: "{{ installation.url }}"
  worker:
    image: localhost/bench/worker:1
    command: [worker, --queue, default]
    env:
      API_TOKEN: "{{ secrets.api_token }}"
addons:
  postgres: {}
  redis: {}
secrets:
  secret_key: { generate: { random: 32 } }
  api_token: { generate: { random: 24 } }
`;

export interface FakeFreehold {
  fh: Freehold;
  counter: CallCounter;
  /** How long installing them took */
  installedMs: number;
  close(): Promise<void>;
}

/** Opens a control plane with fake drivers and installs `count` installations of the bench app through it */
export async function openFakeFreehold(kind: string, count: number, concurrency = 20): Promise<FakeFreehold> {
  const tmp = mkdtempSync(join(tmpdir(), `freehold-bench-${kind}-`));
  const catalogDir = join(tmp, 'catalog');
  mkdirSync(join(catalogDir, 'benchapp'), { recursive: true });
  writeFileSync(join(catalogDir, 'benchapp', 'manifest.yaml'), MANIFEST);
  const counter = new CallCounter();
  const runtime = new FakeRuntime(counter, new Set(['localhost/bench/web:1', 'localhost/bench/worker:1']));
  const edge = new FakeEdge(counter);
  const restoreAddons = useFakeAddons(counter);
  const dataDir = join(tmp, 'data');
  const fh = await openFreehold({ dataDir, catalogDirs: [catalogDir], hostContext: fakeHostContext(dataDir, runtime, edge) });
  const close = async () => {
    await fh.close();
    await runtime.close();
    restoreAddons();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    if (fh.catalog.problems.length) throw new Error(fh.catalog.problems.map((p) => p.error).join('\n'));
    // Populate through the service: real install tasks, real handlers, fake drivers.
    const pop = await timed(async () => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const { task } = await fh.installations.install({ app: 'benchapp', domain: `app${i}` });
          const done = await fh.tasks.wait(task.id);
          if (done.status !== 'succeeded') throw new Error(`install of app${i} ended ${done.status}: ${done.error}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    });
    return { fh, counter, installedMs: pop.ms, close };
  } catch (err) {
    await close();
    throw err;
  }
}
