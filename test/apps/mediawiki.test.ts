// MediaWiki on PostgreSQL end to end: a page edited through the action API.
import { test, before, after } from 'node:test';
import { TestFreehold } from '../helpers/freehold.js';
import { appLifecycle } from '../helpers/app-lifecycle.js';
import { mediawiki } from '../helpers/app-cases.js';

let fh: TestFreehold;
before(async () => (fh = await TestFreehold.start()));
after(async () => fh?.stop());

test('mediawiki: install, edit a page, restart app and control plane, uninstall', { timeout: 900_000 }, () => appLifecycle(fh, mediawiki));
