// Etherpad on Redis end to end: a pad written through the HTTP API, kept under the
// installation's key prefix.
import { test, before, after } from 'node:test';
import { TestFreehold } from '../helpers/freehold.js';
import { appLifecycle } from '../helpers/app-lifecycle.js';
import { etherpad } from '../helpers/app-cases.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

test('etherpad: install, write a pad, restart app and control plane, uninstall', { timeout: 900_000 }, () => appLifecycle(fh, etherpad));
