// WordPress on MariaDB end to end: a post written through XML-RPC.
import { test, before, after } from 'node:test';
import { TestFreehold } from '../helpers/freehold.js';
import { appLifecycle } from '../helpers/app-lifecycle.js';
import { wordpress } from '../helpers/app-cases.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

test('wordpress: install, write a post, restart app and control plane, uninstall', { timeout: 900_000 }, () => appLifecycle(fh, wordpress));
