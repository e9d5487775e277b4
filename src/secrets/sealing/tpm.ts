/**
 * A TPM 2.0, through tpm2-tools: the master key is sealed as a keyed-hash object under a primary
 * key of the owner hierarchy (ECC, made again from the TPM's seed each time, so nothing has to
 * stay loaded or persistent in the TPM). The slot keeps the object's public and private parts;
 * the private part is encrypted by the TPM and opens only on the TPM that made it. With `pcrs`
 * (e.g. `sha256:7`), the object also opens only while those PCRs hold the values they had
 * when it was sealed (a policy session).
 *
 * `tcti` picks the TPM: default the tools' own (TPM2TOOLS_TCTI or /dev/tpmrm0); tests use
 * `swtpm:host=127.0.0.1,port=N`. Between steps, transient objects are flushed: without a
 * resource manager (swtpm, /dev/tpm0) the TPM holds only three at a time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsError, UnsealError } from '../errors.js';
import { exec, lastLines } from './exec.js';
import type { SealMethod } from './index.js';

export interface TpmOptions {
  /** TCTI of the TPM, e.g. `device:/dev/tpmrm0` or `swtpm:host=127.0.0.1,port=2321` */
  tcti?: string;
  /** PCRs the key is bound to, e.g. `sha256:0,7` */
  pcrs?: string;
}

export interface TpmParams {
  tcti?: string;
  pcrs?: string;
  /** TPM2B_PUBLIC and TPM2B_PRIVATE of the sealed object (base64) */
  pub: string;
  priv: string;
}

const PCRS = /^(sha1|sha256|sha384|sha512):\d{1,2}(,\d{1,2})*$/;
const HINT = 'check the TPM (is it there, is tpm2-tools installed, is the TCTI right?)';

class TpmSession {
  readonly dir = mkdtempSync(join(tmpdir(), 'freehold-tpm-'));
  constructor(private readonly tcti?: string) {}

  async tool(name: string, args: string[], stdin?: Buffer): Promise<Buffer> {
    const argv = [name, ...(this.tcti ? ['-T', this.tcti] : []), ...args];
    const r = await exec(argv, { stdin, cwd: this.dir, timeoutMs: 30_000 });
    if (r.code !== 0) throw new TpmToolError(name, r.stderr);
    return r.stdout;
  }

  /** Flushes transient objects (and sessions) so that the next step has room */
  async flush() {
    await this.tool('tpm2_flushcontext', ['-t']).catch(() => undefined);
    await this.tool('tpm2_flushcontext', ['-s']).catch(() => undefined);
  }

  async primary() {
    await this.tool('tpm2_createprimary', ['-Q', '-C', 'o', '-G', 'ecc', '-c', 'primary.ctx']);
    await this.flush();
  }

  file = (name: string) => join(this.dir, name);
  done = () => rmSync(this.dir, { recursive: true, force: true });
}

class TpmToolError extends Error {
  constructor(
    readonly tool: string,
    readonly stderr: string,
  ) {
    super(`${tool} failed: ${lastLines(stderr)}`);
  }
}

/** What a tpm2-tools failure means, for people */
function explain(err: unknown, tcti: string | undefined): UnsealError {
  if (err instanceof UnsealError) return err;
  if (!(err instanceof TpmToolError)) return new UnsealError(`the TPM failed: ${(err as Error).message}`, HINT);
  const s = err.stderr;
  const which = tcti ? ` (${tcti})` : '';
  if (/tcti|Connection refused|No such file or directory|Could not (open|load)|Failed to initialize/i.test(s))
    return new UnsealError(`the TPM${which} cannot be reached: ${lastLines(s, 1)}`, HINT);
  if (/policy check failed|PCR|0x99d/i.test(s))
    return new UnsealError(
      `the TPM refused: the PCRs it is bound to changed since it was sealed (firmware, boot loader or kernel changed)`,
      'open it another way (the passphrase), then seal it to the TPM again (freehold secrets seal tpm)',
    );
  if (/integrity|0x98f|0x9a2|TPM_RC_INTEGRITY|TPM_RC_SIZE|0x1df/i.test(s) || err.tool === 'tpm2_load')
    return new UnsealError(`this TPM${which} did not seal this key (another machine, or the TPM was cleared): ${lastLines(s, 1)}`, HINT);
  return new UnsealError(`the TPM${which} failed (${err.tool}): ${lastLines(s, 1)}`, HINT);
}

export const tpm: SealMethod<TpmOptions, TpmParams> = {
  kind: 'tpm',
  unattended: true,
  async seal(key, o) {
    if (o.pcrs !== undefined && !PCRS.test(o.pcrs)) throw new SecretsError('invalid', `pcrs must look like sha256:0,7 (got ${o.pcrs})`);
    const t = new TpmSession(o.tcti);
    try {
      await t.flush();
      await t.primary();
      const policy = o.pcrs ? ['-L', 'pcr.policy'] : [];
      if (o.pcrs) {
        await t.tool('tpm2_createpolicy', ['-Q', '--policy-pcr', '-l', o.pcrs, '-L', 'pcr.policy']);
        await t.flush();
      }
      await t.tool('tpm2_create', ['-Q', '-C', 'primary.ctx', ...policy, '-u', 'seal.pub', '-r', 'seal.priv', '-i', '-'], key);
      await t.flush();
      const params: TpmParams = { pub: readFileSync(t.file('seal.pub')).toString('base64'), priv: readFileSync(t.file('seal.priv')).toString('base64') };
      if (o.tcti) params.tcti = o.tcti;
      if (o.pcrs) params.pcrs = o.pcrs;
      // Proves it opens before anyone relies on it.
      const back = await tpm.unseal(params, { masterId: '', passphrase: async () => undefined });
      if (!back.equals(key)) throw new UnsealError('the TPM gave back another key than the one sealed');
      back.fill(0);
      return params;
    } catch (err) {
      throw explain(err, o.tcti);
    } finally {
      t.done();
    }
  },
  async unseal(params) {
    const t = new TpmSession(params.tcti);
    try {
      writeFileSync(t.file('seal.pub'), Buffer.from(params.pub, 'base64'));
      writeFileSync(t.file('seal.priv'), Buffer.from(params.priv, 'base64'));
      await t.flush();
      await t.primary();
      await t.tool('tpm2_load', ['-Q', '-C', 'primary.ctx', '-u', 'seal.pub', '-r', 'seal.priv', '-c', 'seal.ctx']);
      await t.flush();
      const key = await t.tool('tpm2_unseal', ['-c', 'seal.ctx', ...(params.pcrs ? ['-p', `pcr:${params.pcrs}`] : [])]);
      await t.flush();
      if (key.length !== 32) throw new UnsealError(`the TPM gave back ${key.length} bytes, not a 32-byte key`, HINT);
      return key;
    } catch (err) {
      throw explain(err, params.tcti);
    } finally {
      t.done();
    }
  },
  describe(params) {
    return `TPM${params.tcti ? ` (${params.tcti})` : ''}${params.pcrs ? `, bound to PCRs ${params.pcrs}` : ''}`;
  },
  async resealOptions(params) {
    return { tcti: params.tcti, pcrs: params.pcrs };
  },
};
