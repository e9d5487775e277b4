/**
 * What is specific to each catalog app in the end-to-end tests: how to see its own page, write
 * data through it and read it back, and what its addon holds. Used by the app tests and the
 * backup round trips.
 */
import assert from 'node:assert/strict';
import { mariadbRows, pgRows, type AppCase, type AppContext } from './app-lifecycle.js';
import { podman } from './leftovers.js';

const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const auth = (c: AppContext) => basic('alice', c.secrets.password);
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const redisKeys = async (pattern: string) =>
  (await podman.exec('freehold-redis', ['freehold-redis-admin', '--scan', '--pattern', pattern])).stdout.split('\n').filter(Boolean);

export const radicale: AppCase = {
  app: 'radicale',
  set: ['username=alice'],
  readyPath: '/.web/',
  async ownPage({ fh, domain }) {
    const page = await fh.https(domain, '/.web/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Radicale Web Interface<\/title>/);
    const wrong = await fh.https(domain, '/alice/', { method: 'PROPFIND', headers: { ...basic('alice', 'nope'), depth: '0' } });
    assert.equal(wrong.status, 401);
  },
  async write(c) {
    const mk = await c.fh.https(c.domain, '/alice/work/', {
      method: 'MKCOL',
      headers: { ...auth(c), 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><set><prop><resourcetype><collection/><C:calendar/></resourcetype><displayname>Work</displayname></prop></set></mkcol>`,
    });
    assert.equal(mk.status, 201, mk.body);
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//freehold//test//EN', 'BEGIN:VEVENT', `UID:${c.name}-1`, 'DTSTAMP:20261123T120000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', `SUMMARY:Planning ${c.name}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    const put = await c.fh.https(c.domain, '/alice/work/event1.ics', { method: 'PUT', headers: { ...auth(c), 'content-type': 'text/calendar' }, body: ics });
    assert.equal(put.status, 201, put.body);
  },
  async readBack(c) {
    const r = await c.fh.https(c.domain, '/alice/work/event1.ics', { headers: auth(c) });
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(`SUMMARY:Planning ${c.name}`));
  },
};
export const wordpress: AppCase = {
  app: 'wordpress',
  // externalServices=false: WordPress would otherwise call wordpress.org from admin pages.
  set: ['title=Freehold Test Blog', 'externalServices=false'],
  readyPath: '/?rest_route=/wp/v2/types/post',
  async ownPage({ fh, domain }) {
    const home = await fh.https(domain, '/');
    assert.equal(home.status, 200);
    assert.match(home.body, /<title>Freehold Test Blog &#8211; /);
    assert.match(home.body, /<meta name="generator" content="WordPress 6\.1\.9"/);
  },
  async write({ fh, domain, name, secrets }) {
    const rpc = await fh.https(domain, '/xmlrpc.php', {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0"?><methodCall><methodName>wp.newPost</methodName><params>
<param><value><int>1</int></value></param><param><value><string>admin</string></value></param>
<param><value><string>${secrets.admin_password}</string></value></param>
<param><value><struct>
<member><name>post_type</name><value><string>post</string></value></member>
<member><name>post_status</name><value><string>publish</string></value></member>
<member><name>post_title</name><value><string>Hello from ${name}</string></value></member>
<member><name>post_content</name><value><string>Written through XML-RPC.</string></value></member>
</struct></value></param></params></methodCall>`,
    });
    assert.equal(rpc.status, 200);
    assert.doesNotMatch(rpc.body, /faultCode/, rpc.body);
  },
  async readBack({ fh, domain, name }) {
    const r = await fh.https(domain, '/?rest_route=/wp/v2/posts');
    assert.equal(r.status, 200);
    const post = JSON.parse(r.body).find((p: any) => p.title.rendered === `Hello from ${name}`);
    assert.ok(post, 'the post is served');
    assert.equal(post.link, `https://${domain}:${fh.httpsPort}/hello-from-${name}/`);
  },
  addonState: async ({ name }) => [
    ...(await mariadbRows(`SHOW DATABASES LIKE 'fh_${name}'`)),
    ...(await mariadbRows(`SELECT user FROM mysql.user WHERE user = 'fh_${name}'`)),
  ],
};
export const mediawiki: AppCase = {
  app: 'mediawiki',
  set: ['siteName=Freehold Wiki'],
  readyPath: '/api.php?action=query&meta=siteinfo&format=json',
  async ownPage({ fh, domain, url }) {
    const main = await fh.https(domain, '/wiki/Main_Page');
    assert.equal(main.status, 200);
    assert.match(main.body, /MediaWiki has been installed/);
    const info = JSON.parse((await fh.https(domain, '/api.php?action=query&meta=siteinfo&format=json')).body).query.general;
    assert.equal(info.sitename, 'Freehold Wiki');
    assert.equal(info.generator, 'MediaWiki 1.39.17');
    assert.equal(info.dbtype, 'postgres');
    assert.equal(info.server, url);
  },
  async write({ fh, domain, name, secrets }) {
    let cookies: string[] = [];
    const call = async (method: string, params: Record<string, string>) => {
      const q = form({ ...params, format: 'json' });
      const r = await fh.https(domain, method === 'GET' ? `/api.php?${q}` : '/api.php', {
        method,
        headers: { cookie: cookies.join('; '), ...(method === 'POST' && { 'content-type': 'application/x-www-form-urlencoded' }) },
        body: method === 'POST' ? q : undefined,
      });
      const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
      cookies = [...cookies.filter((c) => !set.some((s) => s.split('=')[0] === c.split('=')[0])), ...set.map((s) => s.split(';')[0])];
      return JSON.parse(r.body);
    };
    const login = (await call('GET', { action: 'query', meta: 'tokens', type: 'login' })).query.tokens.logintoken;
    assert.equal((await call('POST', { action: 'login', lgname: 'Admin', lgpassword: secrets.admin_password, lgtoken: login })).login.result, 'Success');
    const csrf = (await call('GET', { action: 'query', meta: 'tokens', type: 'csrf' })).query.tokens.csrftoken;
    const edit = await call('POST', { action: 'edit', title: 'Freehold_E2E', text: `Written by '''${name}'''.`, summary: 'e2e', token: csrf });
    assert.equal(edit.edit?.result, 'Success', JSON.stringify(edit));
  },
  async readBack({ fh, domain, name }) {
    const raw = await fh.https(domain, '/index.php?title=Freehold_E2E&action=raw');
    assert.equal(raw.status, 200);
    assert.equal(raw.body, `Written by '''${name}'''.`);
  },
  addonState: async ({ name }) => [
    ...(await pgRows(`SELECT datname FROM pg_database WHERE datname = 'fh_${name}'`)),
    ...(await pgRows(`SELECT rolname FROM pg_roles WHERE rolname = 'fh_${name}'`)),
  ],
};
export const etherpad: AppCase = {
  app: 'etherpad',
  set: ['title=Freehold Pads'],
  readyPath: '/',
  async ownPage({ fh, domain }) {
    const home = await fh.https(domain, '/');
    assert.equal(home.status, 200);
    assert.match(home.body, /<title>Freehold Pads<\/title>/);
    assert.match(home.body, /id="go2Name"/);
    const wrong = JSON.parse((await fh.https(domain, '/api/1/getText?apikey=wrong&padID=x')).body);
    assert.equal(wrong.code, 4);
  },
  async write({ fh, domain, name, secrets }) {
    const r = await fh.https(domain, '/api/1/createPad', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ apikey: secrets.api_key, padID: 'freehold-e2e', text: `Written by ${name}.` }).toString(),
    });
    assert.deepEqual(JSON.parse(r.body), { code: 0, message: 'ok', data: null });
  },
  async readBack({ fh, domain, name, secrets }) {
    const r = JSON.parse((await fh.https(domain, `/api/1/getText?apikey=${encodeURIComponent(secrets.api_key)}&padID=freehold-e2e`)).body);
    assert.equal(r.code, 0, JSON.stringify(r));
    assert.equal(r.data.text, `Written by ${name}.\n`);
  },
  addonState: async ({ name }) => {
    const users = (await podman.exec('freehold-redis', ['freehold-redis-admin', 'ACL', 'USERS'])).stdout.split('\n');
    return [...(await redisKeys(`${name}:pad:freehold-e2e`)), ...users.filter((u) => u === `fh_${name}`)];
  },
};

export const appCases = [radicale, wordpress, mediawiki, etherpad];
