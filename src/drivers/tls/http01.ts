/**
 * HTTP-01 through the edge: for each name, the edge serves the key authorization at
 * http://<name>/.well-known/acme-challenge/<token> on its HTTP port (in Caddy, a route of its
 * own on the HTTP port, before the HTTP->HTTPS redirects), taken away once the CA has looked.
 * The CA fetches it on port 80 of whatever the name resolves to, so port 80 must reach the
 * edge's HTTP port.
 */
import type { CertificateEdge } from '../edge/index.js';
import type { ChallengeAnswer, ChallengeSolver } from './index.js';

export class Http01Solver implements ChallengeSolver {
  readonly type = 'http-01' as const;

  constructor(
    private readonly edge: CertificateEdge,
    /** The edge's HTTP port, for the hint when the CA cannot reach it */
    private readonly edgeHttpPort?: number,
  ) {}

  async present(answers: ChallengeAnswer[]) {
    for (const a of answers) await this.edge.setChallenge(a.domain, a.token, a.value);
  }

  async cleanup(answers: ChallengeAnswer[]) {
    const failures: string[] = [];
    for (const a of answers) await this.edge.removeChallenge(a.domain, a.token).catch((e: Error) => failures.push(e.message));
    if (failures.length) throw new Error(`could not remove ACME challenge routes: ${failures.join('; ')}`);
  }

  where(a: ChallengeAnswer) {
    return `http://${a.domain}/.well-known/acme-challenge/${a.token}`;
  }

  hint(a: ChallengeAnswer) {
    const forward = this.edgeHttpPort && this.edgeHttpPort !== 80 ? ` (forwarded to Freehold's HTTP port ${this.edgeHttpPort})` : '';
    return `is port 80 of ${a.domain} reachable from the internet${forward}, and does ${a.domain} resolve (A/AAAA) to this machine?`;
  }
}
