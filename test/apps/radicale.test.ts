// Radicale end to end: a calendar event written through CalDAV.
import { test, before, after } from 'node:test';
import { TestFreehold } from '../helpers/freehold.js';
import { appLifecycle } from '../helpers/app-lifecycle.js';
import { radicale } from '../helpers/app-cases.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

test('radicale: install, write an event, restart app and control plane, uninstall', { timeout: 900_000 }, () => appLifecycle(fh, radicale));
