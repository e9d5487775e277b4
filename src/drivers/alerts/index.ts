/**
 * Alert channels: where events are sent. Each kind checks its configuration and delivers one
 * event; a delivery that fails throws (the caller logs it, nothing else depends on it).
 */
import { webhook, type WebhookConfig } from './webhook.js';
import { email, type EmailConfig } from './email.js';

/** What a channel receives (the same shape as the API's events) */
export interface AlertEvent {
  id: number | null;
  at: string;
  kind: string;
  severity: 'info' | 'warning' | 'error';
  installation: string | null;
  installationId: string | null;
  message: string;
  taskId: string | null;
}

export type Problems = { path: string; message: string }[];

export interface ChannelKind<C> {
  /** Checks the input and returns the configuration to keep (sealed) */
  parse(input: Record<string, unknown>, p: Problems): C;
  /** What may be shown of the configuration: never a password */
  view(config: C): Record<string, unknown>;
  send(config: C, event: AlertEvent): Promise<void>;
}

export const channelKinds: Record<string, ChannelKind<any>> = { webhook, email } satisfies { webhook: ChannelKind<WebhookConfig>; email: ChannelKind<EmailConfig> };

/** A one-line subject for an event, e.g. "[freehold] install_failed: cal (error)" */
export const subjectOf = (e: AlertEvent) => `[freehold] ${e.kind}${e.installation ? `: ${e.installation}` : ''} (${e.severity})`;
