/**
 * Crash injection for the crash-recovery tests: with FREEHOLD_FAILPOINT="<name>", the process
 * kills itself (SIGKILL, no clean-up) when it reaches that point. Names: "<action>:<resource
 * key>:<before|after>", e.g. "create:container:web:after" (acted, not yet recorded).
 */
export function failpoint(name: string) {
  const wanted = process.env.FREEHOLD_FAILPOINT;
  if (wanted && wanted === name) {
    process.stderr.write(`failpoint ${name}: killing the control plane\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
