/**
 * Constant-rate HTTP load from a process of its own: `node --import tsx bench/load.ts <url>
 * <token> <requests per second> <seconds>`. Each request's latency counts from when it was due,
 * not when it was sent, so a slow server is not hidden by a client that waited for it. Prints
 * JSON: {sent, ok, failed, latencies (ms, sorted)}.
 */
import { Agent, request } from 'node:http';

const [url, token, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const latencies: number[] = [];
let ok = 0;
let failed = 0;
const start = performance.now();

const one = (due: number) =>
  new Promise<void>((resolve) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        latencies.push(performance.now() - due);
        if (res.statusCode === 200) ok++;
        else failed++;
        resolve();
      });
    });
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end();
  });

const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(one(due));
}
await Promise.all(pending);
agent.destroy();
process.stdout.write(JSON.stringify({ sent: total, ok, failed, seconds: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b) }));
