/** Email channel: one message per event through a configured SMTP server (nodemailer). */
// nodemailer (2.5 MiB) is loaded when the first mail is sent: an idle control plane needs none of it
const mailer = () => import('nodemailer').then((m) => m.default);
import type { AlertEvent, ChannelKind, Problems } from './index.js';
import { subjectOf } from './index.js';

export interface EmailConfig {
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it */
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string;
}

const ADDRESS = /^[^\s@<>,]+@[^\s@<>,]+$/;
const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && !/[\0\r\n]/.test(v);

export const email: ChannelKind<EmailConfig> = {
  parse(i, p: Problems) {
    const need = (field: string, ok: (v: any) => boolean, message: string) => {
      const v = i[field];
      if (v === undefined || v === '') p.push({ path: field, message: 'is required for email channels' });
      else if (!ok(v)) p.push({ path: field, message });
    };
    need('host', (v) => typeof v === 'string' && /^[A-Za-z0-9.:_-]+$/.test(v), 'must be a host name or IP address');
    need('port', (v) => Number.isInteger(v) && v >= 1 && v <= 65535, 'must be a TCP port (1-65535)');
    need('from', (v) => typeof v === 'string' && ADDRESS.test(v), 'must be an email address');
    need('to', (v) => typeof v === 'string' && v.split(',').every((a) => ADDRESS.test(a.trim())), 'must be one or more email addresses, separated by commas');
    if (i.secure !== undefined && typeof i.secure !== 'boolean') p.push({ path: 'secure', message: 'must be true or false' });
    if (i.user !== undefined && !text(i.user)) p.push({ path: 'user', message: 'must be a non-empty single line' });
    if (i.password !== undefined && !text(i.password)) p.push({ path: 'password', message: 'must be a non-empty single line' });
    if ((i.password !== undefined) !== (i.user !== undefined)) p.push({ path: i.user === undefined ? 'user' : 'password', message: 'user and password go together' });
    return {
      host: String(i.host), port: Number(i.port), secure: i.secure === true, from: String(i.from), to: String(i.to),
      ...(i.user !== undefined && { user: String(i.user), password: String(i.password) }),
    };
  },
  view: (c) => ({ host: c.host, port: c.port, secure: c.secure, from: c.from, to: c.to, ...(c.user && { user: c.user }) }),
  async send(c, event: AlertEvent) {
    const transport = (await mailer()).createTransport({
      host: c.host, port: c.port, secure: c.secure,
      ...(c.user && { auth: { user: c.user, pass: c.password } }),
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
    });
    try {
      const lines = [
        event.message,
        '',
        `kind: ${event.kind}`,
        `severity: ${event.severity}`,
        ...(event.installation ? [`installation: ${event.installation}`] : []),
        ...(event.taskId ? [`task: ${event.taskId} (freehold tasks; GET /api/tasks/${event.taskId})`] : []),
        `at: ${event.at}`,
      ];
      await transport.sendMail({ from: c.from, to: c.to, subject: subjectOf(event), text: lines.join('\n') + '\n' });
    } finally {
      transport.close();
    }
  },
};
