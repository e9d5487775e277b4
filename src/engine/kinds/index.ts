/** The resource kinds the engine manages on a host, by name. */
import type { HandlerRegistry } from '../resource.js';
import type { HostContext } from './context.js';
import { networkHandler } from './network.js';
import { addonHandler } from './addon.js';
import { secretHandler } from './secret.js';
import { imageHandler } from './image.js';
import { containerHandler } from './container.js';
import { routeHandler } from './route.js';
import { hookHandler } from './hook.js';
import { dnsHandler } from './dns.js';
import { certificateHandler } from './certificate.js';
import { addressHandler } from './address.js';

export const hostHandlers: HandlerRegistry<HostContext> = new Map([
  ['network', networkHandler],
  ['addon', addonHandler],
  ['secret', secretHandler],
  ['image', imageHandler],
  ['container', containerHandler],
  ['route', routeHandler],
  ['hook', hookHandler],
  ['dns', dnsHandler],
  ['certificate', certificateHandler],
  ['address', addressHandler],
]);
