import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, capacity, formatAddress, parseAddress, parsePrefix, unusable, type Prefix } from './addr.js';

test('addr: IPv4 and IPv6 parse and print canonically', () => {
  assert.deepEqual(parseAddress('10.20.0.1'), { family: 4, value: 0x0a140001n });
  assert.equal(parseAddress('10.020.0.1'), undefined, 'no leading zeros');
  assert.equal(parseAddress('10.20.0'), undefined);
  assert.equal(parseAddress('fe80::1%eth0'), undefined, 'no zone');
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['FD00:0020:0000:0000:0000:0000:0000:0005', 'fd00:20::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1::', '1::'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ];
  for (const [input, out] of cases) assert.equal(canonicalAddress(input), out, input);
  assert.equal(formatAddress(6, 1n << 127n), '8000::');
});

test('addr: prefixes, unusable addresses and capacity', () => {
  const p = parsePrefix('10.0.0.0/30') as Prefix;
  assert.deepEqual([p.first, p.last, p.cidr], [0x0a000000n, 0x0a000003n, '10.0.0.0/30']);
  assert.equal(capacity(p, unusable(p)), 2n);
  const v6 = parsePrefix('fd00:20::/64') as Prefix;
  assert.equal(capacity(v6, unusable(v6)), (1n << 64n) - 1n);
  assert.equal(capacity(v6, unusable(v6, true)), 1n << 64n);
  assert.equal(parsePrefix('10.0.0.1/30'), '"10.0.0.1/30" has host bits set; did you mean 10.0.0.0/30?');
  assert.match(parsePrefix('nope') as string, /is not a prefix/);
  assert.equal((parsePrefix('::/0') as Prefix).last, (1n << 128n) - 1n);
});
