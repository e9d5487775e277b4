// Copies the non-TypeScript files the code reads at run time (image build contexts) into dist/.
import { cpSync, existsSync } from 'node:fs';
for (const dir of ['src/drivers/addons/images']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
