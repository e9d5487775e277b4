// Builds the Debian base image once (used by setup and tests).
import { PodmanRuntime } from '../src/drivers/runtime/podman.js';
import { ensureBaseImage } from '../src/drivers/runtime/base-image.js';
await ensureBaseImage(new PodmanRuntime(), (l) => console.log(l));
console.log('base image ready');
