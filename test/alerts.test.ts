// Alerts on loopback: a failed install (the "unhealthy" fixture always rolls back) is recorded
// as an event with its error, listed by the API and the CLI, POSTed to a local webhook and mailed
// through a local SMTP server (smtp-server, with authentication). Channel secrets never appear in
// the API's answers, and a webhook that refuses connections breaks nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { SMTPServer } from 'smtp-server';
import { TestFreehold, uniqueName } from './helpers/freehold.js';
import { freePort, sleep } from '../src/lib/net.js';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/catalog', import.meta.url).pathname;
const SMTP_USER = 'alerts';
const SMTP_PASSWORD = 'smtp-Pa55-word-xyz';
const HOOK_TOKEN = 'hook-t0ken-abc';

let fh: TestFreehold;
let hook: Server;
let hookUrl = '';
let smtp: SMTPServer;
let smtpPort = 0;
const hooks: { path: string; body: any }[] = [];
const mails: { from: string; to: string[]; raw: string }[] = [];

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  const hookPort = await freePort();
  await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${hookPort}/hook?token=${HOOK_TOKEN}`;

  smtpPort = await freePort();
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _s, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) cb(null, { user: SMTP_USER });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (c) => (raw += c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(smtpPort, '127.0.0.1', r));
  fh = await TestFreehold.start({ catalogDirs: [FIXTURES] });
});
after(async () => {
  await fh?.stop();
  await new Promise((r) => hook?.close(r));
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--data-dir', fh.dataDir, ...args], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const assertNoSecret = (body: unknown) => {
  const json = JSON.stringify(body);
  for (const s of [SMTP_PASSWORD, HOOK_TOKEN]) assert.ok(!json.includes(s), `a secret is in ${json}`);
  assert.doesNotMatch(json, /"password"/);
};

test('channels: checked field by field, added, listed without secrets, tested', async () => {
  await assert.rejects(fh.request('POST', '/api/alert-channels', { name: 'Bad Name', kind: 'email', host: 'a b', port: 70000, to: 'nobody' }), (err: any) => {
    assert.equal(err.status, 400);
    assert.deepEqual(err.details.map((d: any) => d.path).sort(), ['from', 'host', 'name', 'port', 'to']);
    return true;
  });
  await assert.rejects(fh.request('POST', '/api/alert-channels', { name: 'x', kind: 'pager' }), /kind must be one of webhook, email/);
  await assert.rejects(fh.request('POST', '/api/alert-channels', { name: 'x', kind: 'webhook', url: 'ftp://example.org' }), /url must be an http/);

  const w = await fh.request('POST', '/api/alert-channels', { name: 'hook', kind: 'webhook', url: hookUrl });
  assert.equal(w.channel.config.url, hookUrl.replace(/\?.*/, '?…'), 'the query (which may hold a token) is not shown');
  const e = await fh.request('POST', '/api/alert-channels', { name: 'mail', kind: 'email', host: '127.0.0.1', port: smtpPort, from: 'freehold@example.org', to: 'admin@example.org', user: SMTP_USER, password: SMTP_PASSWORD });
  assert.equal(e.channel.config.user, SMTP_USER);
  assertNoSecret([w, e]);
  await assert.rejects(fh.request('POST', '/api/alert-channels', { name: 'hook', kind: 'webhook', url: hookUrl }), (err: any) => err.status === 409);

  const { channels } = await fh.request('GET', '/api/alert-channels');
  assert.deepEqual(channels.map((c: any) => c.name), ['hook', 'mail']);
  assertNoSecret(channels);

  const t1 = await fh.request('POST', '/api/alert-channels/hook/test');
  assert.equal(t1.sent.kind, 'test');
  const got = await until('the test webhook', () => hooks.find((h) => h.body.event.kind === 'test'));
  assert.equal(got.path, `/hook?token=${HOOK_TOKEN}`);
  await fh.request('POST', '/api/alert-channels/mail/test');
  const mail = await until('the test mail', () => mails.find((m) => /^Subject: \[freehold\] test/m.test(m.raw)));
  assert.deepEqual(mail.to, ['admin@example.org']);
  await assert.rejects(fh.request('POST', '/api/alert-channels/ghost/test'), (err: any) => err.status === 404);
});

test('a failed install is recorded with its error, sent to the webhook and mailed; a refusing webhook breaks nothing', { timeout: 300_000 }, async () => {
  // A channel whose URL refuses connections: every delivery to it fails (and is logged).
  const deadPort = await freePort();
  await fh.request('POST', '/api/alert-channels', { name: 'dead', kind: 'webhook', url: `http://127.0.0.1:${deadPort}/x` });
  await assert.rejects(fh.request('POST', '/api/alert-channels/dead/test'), (err: any) => {
    assert.equal(err.status, 502);
    assert.match(err.message, /alert channel dead could not send: webhook http:\/\/127\.0\.0\.1:\d+\/x failed twice: ECONNREFUSED/);
    return true;
  });

  const name = uniqueName('sick');
  const { task } = await fh.install('unhealthy', name);
  assert.equal(task.status, 'rolled_back');

  const { events } = await until('the event', async () => {
    const r = await fh.request('GET', `/api/events?installation=${name}`);
    return r.events.length ? r : undefined;
  });
  assert.equal(events.length, 1, 'one event per failed task');
  const [ev] = events;
  assert.equal(ev.kind, 'install_failed');
  assert.equal(ev.severity, 'error');
  assert.equal(ev.installation, name);
  assert.equal(ev.taskId, task.id);
  assert.match(ev.message, new RegExp(`install of ${name} failed and was rolled back: .*did not pass its health check \\(GET /never-healthy\\)`));
  assert.deepEqual((await fh.request('GET', '/api/events?installation=someone-else')).events, []);

  const hooked = await until('the webhook', () => hooks.find((h) => h.body.event.kind === 'install_failed' && h.body.event.installation === name));
  assert.equal(hooked.body.event.message, ev.message);
  const mail = await until('the mail', () => mails.find((m) => m.raw.includes(`Subject: [freehold] install_failed: ${name}`)));
  assert.match(mail.raw.replace(/=\r\n/g, ''), /did not pass its health check \(GET \/never-healthy\)/, 'the body (quoted-printable) holds the error');
  assert.equal(mail.from, 'freehold@example.org');

  await until('the log line of the refusing channel', () => (fh.output.includes('channel dead (webhook) could not send event install_failed') ? true : undefined));
  await fh.request('GET', '/api/health'); // the control plane still answers
  assert.equal(hooks.filter((h) => h.body.event.installation === name).length, 1, 'delivered once');
  await fh.request('DELETE', '/api/alert-channels/dead');
});

test('cli: events, alerts list/add/test/remove', { timeout: 120_000 }, async () => {
  const events = await cli(['events']);
  assert.equal(events.code, 0, events.out);
  assert.match(events.out, /AT\s+SEVERITY\s+KIND\s+INSTALLATION\s+MESSAGE/);
  assert.match(events.out, /error\s+install_failed\s+sick\w+\s+install of sick\w+ failed and was rolled back/);

  const add = await cli(['alerts', 'add-email', 'mail2', '--host', '127.0.0.1', '--port', String(smtpPort), '--from', 'fh@example.org', '--to', 'ops@example.org', '--user', SMTP_USER, '--password-env', 'SMTP_PW'], { SMTP_PW: SMTP_PASSWORD });
  assert.equal(add.code, 0, add.out);
  const test2 = await cli(['alerts', 'test', 'mail2']);
  assert.equal(test2.code, 0, test2.out);
  await until('the CLI test mail', () => mails.find((m) => m.to.includes('ops@example.org')));
  const list = await cli(['alerts', 'list']);
  assert.match(list.out, /mail2\s+email\s+ops@example\.org via 127\.0\.0\.1:\d+/);
  assert.match(list.out, /hook\s+webhook\s+http:\/\/127\.0\.0\.1:\d+\/hook\?…/);
  assert.ok(!list.out.includes(SMTP_PASSWORD) && !list.out.includes(HOOK_TOKEN));
  const rm = await cli(['alerts', 'remove', 'mail2']);
  assert.equal(rm.code, 0, rm.out);
  const gone = await cli(['alerts', 'test', 'mail2']);
  assert.equal(gone.code, 1);
  assert.match(gone.out, /no alert channel "mail2"/);
});
