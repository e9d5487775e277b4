/**
 * A generated secret (the manifest's `secrets:`): a random string or a key pair, made once.
 *
 * Where the host context has `secrets` (the control plane), the secret lives in the secrets
 * backend in use, at `installations/<installation>/<name>` (`GeneratedSecrets`: versions,
 * rotation), and applying it reads it from there. Its outputs are the values applied, sealed in
 * the records like every output: the containers are rendered from them, so a new version in the
 * backend (a rotation) changes the containers' inputs and re-creates them. Observing compares
 * the backend with the record: another value there is drift, none there (an installation made
 * before the backend kept secrets, a clone's preset value, another backend set since) is a
 * missing resource, and applying writes the recorded value into the backend as it is. Applying
 * takes the backend's value only when it came after the recorded one (an older version holds
 * that: a rotation, a restore, a new version written in OpenBao); a value that did not (left in a
 * backend set again after secrets were rotated elsewhere) is replaced by the recorded one. A
 * secret's value never changes but by a rotation or a restore.
 * Without `secrets` (a context made without the control plane) the value is kept in the records only.
 *
 * Outputs: `{ value }` for a random secret (as before the backend kept them, so records made
 * then apply unchanged), `{ private, public, openssh }` for a key pair.
 */
import type { Json, ResourceHandler } from '../resource.js';
import type { HostContext } from './context.js';
import { GeneratedSecrets, generateSecret, generatorOf, sameData, type GenerateSpec } from '../../secrets/generate.js';
import { SecretNotFoundError } from '../../secrets/errors.js';
import type { SecretData } from '../../drivers/secrets/types.js';
import { KeypairParts } from '../../manifest/schema.js';

const nameOf = (key: string) => key.slice('secret:'.length);
const specOf = (spec: Json) => spec as unknown as GenerateSpec;

/** Whether values (recorded outputs, or a backend's data) are a secret of this spec's kind */
function fits(v: Record<string, Json> | SecretData | undefined, spec: GenerateSpec): boolean {
  if (!v) return false;
  if ('random' in spec) return typeof v.value === 'string';
  // A key pair of another type (the manifest changed it) does not fit; outputs do not say theirs.
  return KeypairParts.every((p) => typeof v[p] === 'string') && (v.generator === undefined || v.generator === generatorOf(spec));
}

/** What containers get: the value, or the key pair's parts */
function outputsOf(data: SecretData, spec: GenerateSpec): Record<string, Json> {
  if ('random' in spec) return { value: data.value };
  return Object.fromEntries(KeypairParts.map((p) => [p, data[p]]));
}

/** Recorded outputs as the backend's data (what `ensure` writes when the backend has none) */
function dataOf(outputs: Record<string, Json>, spec: GenerateSpec): SecretData {
  const parts = 'random' in spec ? ['value'] : [...KeypairParts];
  return { ...Object.fromEntries(parts.map((p) => [p, String(outputs[p])])), generator: generatorOf(spec) };
}

/** Whether the backend's current value came after the recorded one (an older version holds it) */
async function cameAfter(g: GeneratedSecrets, installation: string, name: string, recorded: Record<string, Json>, spec: GenerateSpec) {
  return (await g.earlier(installation, name)).some((v) => fits(v.data, spec) && sameData(outputsOf(v.data, spec) as SecretData, recorded as SecretData));
}

/** Runs `fn` on the installation secrets of the backend in use; its errors name what was done, never a credential */
async function withBackend<T>(ctx: HostContext, what: string, fn: (g: GeneratedSecrets) => Promise<T>): Promise<T> {
  const backends = ctx.secrets!.backends();
  try {
    return await fn(new GeneratedSecrets(await backends.current()));
  } catch (err) {
    if (err instanceof SecretNotFoundError) throw err;
    throw backends.failure(err, undefined, what);
  }
}

/** `fn` over items, at most `limit` at a time (OpenBao: one request per secret) */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export const secretHandler: ResourceHandler<HostContext> = {
  async observe(ctx, items) {
    if (!ctx.secrets) return items.map((i) => ({ state: fits(i.outputs, specOf(i.spec)) ? 'present' : 'absent' }));
    return mapLimit(items, 8, async (i) => {
      const spec = specOf(i.spec);
      if (!fits(i.outputs, spec)) return { state: 'absent' } as const;
      try {
        const current = await withBackend(ctx, `secret ${nameOf(i.key)} of ${i.installation}`, (g) => g.get(i.installation, nameOf(i.key)));
        if (fits(current.data, spec) && sameData(outputsOf(current.data, spec) as SecretData, i.outputs as SecretData)) return { state: 'present' } as const;
        return { state: 'drifted', reason: `the secrets backend holds another value (version ${current.version})` } as const; // applying decides which wins
      } catch (err) {
        if (err instanceof SecretNotFoundError) return { state: 'absent' } as const;
        // The backend cannot be read now: nothing is known to be wrong (applying would say why).
        return { state: 'present' } as const;
      }
    });
  },

  async apply({ ctx, installation, key, spec: raw, previous, log }) {
    const spec = specOf(raw);
    const name = nameOf(key);
    const recorded = previous && fits(previous, spec) ? previous : undefined;
    if (!ctx.secrets) return recorded ?? outputsOf(await generateSecret(spec, { comment: `${installation}-${name}` }), spec);
    return withBackend(ctx, `secret ${name} of ${installation}`, async (g) => {
      let s = await g.ensure(installation, name, spec, { initial: recorded && dataOf(recorded, spec) });
      if (s.created && recorded) log(`secret ${name}: the value applied so far is now kept in the secrets backend (version ${s.version})`);
      const differs = recorded && !s.created && fits(s.data, spec) && !sameData(outputsOf(s.data, spec) as SecretData, recorded as SecretData);
      if (differs && !(await cameAfter(g, installation, name, recorded, spec))) {
        const back = await g.putBack(installation, name, dataOf(recorded, spec));
        log(`secret ${name}: the secrets backend held a value never applied here (version ${s.version}; left from when this backend was set before?): the value applied so far is current again (version ${back.version})`);
        return recorded;
      }
      if (!fits(s.data, spec)) {
        // The manifest asks for another kind (random <-> key pair, another key type): a new version.
        s = { ...(await g.rotate(installation, name, spec)), created: false };
        log(`secret ${name}: made again as ${generatorOf(spec)} (version ${s.version}), as the manifest now asks`);
      }
      return outputsOf(s.data, spec);
    });
  },

  async delete({ ctx, installation, key }) {
    if (!ctx.secrets) return;
    await withBackend(ctx, `removing secret ${nameOf(key)} of ${installation}`, (g) => g.remove(installation, nameOf(key)));
  },
};

/** The secrets of a manifest as the engine expands them: name -> spec */
type Declared = Record<string, { generate: GenerateSpec }>;

/**
 * A new version of an installation's generated secret in the backend (written there first, as
 * recorded, if the backend does not have it yet); converging then re-creates what uses it.
 */
export async function rotateGeneratedSecret(ctx: HostContext, installation: string, name: string, spec: GenerateSpec, recorded?: Record<string, Json>) {
  if (!ctx.secrets) throw new Error('this host keeps generated secrets in its records only: they cannot be rotated');
  return withBackend(ctx, `rotating secret ${name} of ${installation}`, async (g) => {
    await g.ensure(installation, name, spec, { initial: recorded && fits(recorded, spec) ? dataOf(recorded, spec) : undefined });
    return g.rotate(installation, name);
  });
}

/** Makes a version of a secret the current one again (a failed rotation going back) */
export async function putBackGeneratedSecret(ctx: HostContext, installation: string, name: string, version: number) {
  return withBackend(ctx, `putting back version ${version} of secret ${name} of ${installation}`, async (g) => g.putBack(installation, name, (await g.get(installation, name, version)).data));
}

/** Which version of a secret a snapshot was taken with (its time tells it from a secret of an installation made again since under the same name) */
export interface SecretVersionRef {
  version: number;
  createdAt: string;
}

/** The current version of each of an installation's secrets the backend keeps (for a snapshot) */
export async function generatedSecretVersions(ctx: HostContext, installation: string, declared: Declared = {}): Promise<Record<string, SecretVersionRef>> {
  if (!ctx.secrets) return {};
  const out: Record<string, SecretVersionRef> = {};
  await withBackend(ctx, `reading the secrets of ${installation}`, async (g) => {
    for (const name of Object.keys(declared)) {
      try {
        const { version, createdAt } = await g.get(installation, name);
        out[name] = { version, createdAt };
      } catch (err) {
        if (!(err instanceof SecretNotFoundError)) throw err;
      }
    }
  });
  return out;
}

/**
 * Brings back the secrets a snapshot's data was made with: for each secret the snapshot names
 * (with its version then, of the installation it was taken of: `from`), that version's data
 * becomes the current version of `to`'s secret (a new version, nothing when it already is). A
 * version the backend no longer keeps leaves the current one, and says so.
 */
export async function restoreGeneratedSecrets(ctx: HostContext, o: { from: string; to: string; versions: Record<string, SecretVersionRef>; declared?: Declared; log: (line: string) => void }) {
  if (!ctx.secrets) return;
  const wanted = Object.entries(o.versions).filter(([name]) => o.declared?.[name]);
  if (!wanted.length) return;
  await withBackend(ctx, `restoring the secrets of ${o.to}`, async (g) => {
    for (const [name, { version, createdAt }] of wanted) {
      let data: SecretData | undefined;
      try {
        const then = await g.get(o.from, name, version);
        if (then.createdAt === createdAt) data = then.data;
      } catch (err) {
        if (!(err instanceof SecretNotFoundError)) throw err;
      }
      if (!data) {
        o.log(`secret ${name}: version ${version} of ${o.from}, which the snapshot was taken with, is no longer kept in the secrets backend (aged out, or ${o.from} was removed or made again since); the current value stays`);
        continue;
      }
      const r = await g.putBack(o.to, name, data);
      if (r.changed) o.log(`secret ${name}: back to the value the snapshot was taken with (version ${version} of ${o.from}; now version ${r.version})`);
    }
  });
}
