/** A terraform working directory for the tests of Freehold's HTTP state backend. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * main.tf in `dir`: the http backend at `address` (user "freehold"; the password in the file when
 * given, else from TF_HTTP_PASSWORD), one terraform_data holding `input` and an output `x`.
 */
export function terraformProject(dir: string, o: { address: string; input: string; password?: string; extra?: string }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'main.tf'),
    `terraform {
  backend "http" {
    address        = "${o.address}"
    lock_address   = "${o.address}"
    unlock_address = "${o.address}"
    username       = "freehold"${o.password === undefined ? '' : `\n    password       = "${o.password}"`}
  }
}

resource "terraform_data" "x" {
  input = "${o.input}"
}

output "x" {
  value = terraform_data.x.output
}
${o.extra ?? ''}`,
  );
  return dir;
}
