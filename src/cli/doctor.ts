/** `freehold doctor`: checks what Freehold needs on this machine and says how to fix what is not right. */
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { run } from '../lib/spawn.js';
import { portIsFree } from '../lib/net.js';
import { BASE_IMAGE } from '../drivers/runtime/base-image.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function version(argv: string[]) {
  try {
    return (await run(argv, { timeoutMs: 20_000 })).stdout.trim().split('\n')[0];
  } catch (err) {
    return undefined;
  }
}

export async function doctor(opts: { httpsPort: number; httpPort: number; dataDir: string }): Promise<Check[]> {
  const checks: Check[] = [];
  const podman = await version(['podman', '--version']);
  checks.push({ name: 'podman installed', ok: !!podman, detail: podman ?? 'not found', fix: 'apt-get install podman runc netavark aardvark-dns' });

  // Hosts whose cgroups are v1/hybrid need runc + cgroupfs and explicit ulimits (crun refuses them).
  const cgroupV2 = statfsSync('/sys/fs/cgroup').type === 0x63677270;
  const conf = existsSync('/etc/containers/containers.conf') ? readFileSync('/etc/containers/containers.conf', 'utf8') : '';
  if (!cgroupV2) {
    const ok = /runtime\s*=\s*"runc"/.test(conf) && /cgroup_manager\s*=\s*"cgroupfs"/.test(conf) && /default_ulimits/.test(conf);
    checks.push({
      name: 'podman configured for cgroups v1/hybrid',
      ok,
      detail: ok ? 'runc + cgroupfs + ulimits in /etc/containers/containers.conf' : 'this machine mounts cgroups v1/hybrid, which crun refuses',
      fix: 'run scripts/setup.sh (it writes /etc/containers/containers.conf with runtime "runc", cgroup_manager "cgroupfs" and default_ulimits)',
    });
  }
  if (podman) {
    const r = await run(['podman', 'run', '--rm', '--pull=never', BASE_IMAGE, 'true'], { check: false, timeoutMs: 60_000 }).catch((e) => ({ code: 1, stderr: String(e), stdout: '' }));
    const haveBase = (await run(['podman', 'image', 'exists', BASE_IMAGE], { check: false })).code === 0;
    checks.push({
      name: 'podman runs containers',
      ok: haveBase ? r.code === 0 : true,
      detail: haveBase ? (r.code === 0 ? 'a test container ran' : r.stderr.trim().split('\n').pop() ?? 'failed') : `skipped (no ${BASE_IMAGE} yet: it is built on first install)`,
      fix: 'see the error above; on cgroups v1 hosts run scripts/setup.sh',
    });
  }
  const caddy = await version(['caddy', 'version']);
  checks.push({ name: 'caddy installed', ok: !!caddy, detail: caddy ?? 'not found', fix: 'apt-get install caddy' });
  const debootstrap = existsSync('/usr/sbin/debootstrap');
  checks.push({ name: 'debootstrap installed', ok: debootstrap, detail: debootstrap ? 'found' : 'not found (needed to build the base image, since no image registry may be reachable)', fix: 'apt-get install debootstrap' });

  const ours = existsSync(`${opts.dataDir}/caddy/admin.sock`);
  for (const port of [opts.httpsPort, opts.httpPort]) {
    const free = await portIsFree(port);
    checks.push({
      name: `port ${port} available for Caddy`,
      ok: free || ours,
      detail: free ? 'free' : ours ? "in use (by Freehold's Caddy, it seems)" : 'in use by another program',
      fix: `find it with "ss -ltnp sport = :${port}" and stop it (Debian's caddy service: systemctl disable --now caddy), or start Freehold with --https-port/--http-port`,
    });
  }
  return checks;
}
