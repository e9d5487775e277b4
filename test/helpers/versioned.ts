/**
 * The update fixture app (test/fixtures/catalog/versioned): Radicale under versions made to test
 * updates. Installs its 1.0.0, writes and reads calendar events, reads what its migrations left.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestFreehold } from './freehold.js';
import { podman } from './leftovers.js';

export const VERSIONED_CATALOG = join(import.meta.dirname, '..', 'fixtures', 'catalog');

export interface Versioned {
  fh: TestFreehold;
  name: string;
  domain: string;
  password: string;
}

export async function installVersioned(fh: TestFreehold, name: string, version = '1.0.0'): Promise<Versioned> {
  const { task } = await fh.install('versioned', name, ['username=alice'], version);
  assert.equal(task.status, 'succeeded', task.error ?? '');
  const { secrets } = await fh.request('GET', `/api/installations/${name}/credentials`);
  const v = { fh, name, domain: `${name}.localhost`, password: secrets.password };
  const mk = await fh.https(v.domain, '/alice/work/', {
    method: 'MKCOL',
    headers: { ...auth(v), 'content-type': 'application/xml' },
    body: `<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><set><prop><resourcetype><collection/><C:calendar/></resourcetype><displayname>Work</displayname></prop></set></mkcol>`,
  });
  assert.equal(mk.status, 201, mk.body);
  return v;
}

const auth = (v: Versioned) => ({ authorization: `Basic ${Buffer.from(`alice:${v.password}`).toString('base64')}` });

export async function writeEvent(v: Versioned, n: number) {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//freehold//test//EN', 'BEGIN:VEVENT', `UID:${v.name}-${n}`, 'DTSTAMP:20261123T120000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', `SUMMARY:Event ${n} of ${v.name}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const put = await v.fh.https(v.domain, `/alice/work/event${n}.ics`, { method: 'PUT', headers: { ...auth(v), 'content-type': 'text/calendar' }, body: ics });
  assert.equal(put.status, 201, put.body);
}

/** Whether event n is served (as alice: a wrong account name fails the sign-in, so this also checks config) */
export async function hasEvent(v: Versioned, n: number): Promise<boolean> {
  const r = await v.fh.https(v.domain, `/alice/work/event${n}.ics`, { headers: auth(v) });
  if (r.status === 404) return false;
  assert.equal(r.status, 200, `GET event${n}: HTTP ${r.status}`);
  assert.match(r.body, new RegExp(`SUMMARY:Event ${n} of ${v.name}`));
  return true;
}

/** The lines the fixture's migrations appended to /data/migrations.log */
export function migrations(v: Versioned): string[] {
  const file = join(v.fh.dataDir, 'volumes', v.name, 'migrations.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

export async function installation(v: Versioned) {
  return (await v.fh.request('GET', `/api/installations/${v.name}`)).installation;
}

/** Starts an update and waits for its end */
export async function update(v: Versioned, to: string, packageVersion = 1) {
  const r = await v.fh.request('POST', `/api/installations/${v.name}/update`, { to, packageVersion });
  return v.fh.waitTask(r.task.id);
}

/** Containers of the installation (a stray migration container would show here) */
export async function containersOf(v: Versioned) {
  return (await podman.list(`freehold.installation=${v.name}`)).map((c) => ({ name: c.name, image: c.image, state: c.state, id: c.id }));
}
