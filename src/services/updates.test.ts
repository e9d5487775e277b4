import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inWindow } from './updates.js';

const at = (hhmm: string) => new Date(`2026-11-23T${hhmm}:00`);

test('maintenance windows, also across midnight', () => {
  assert.equal(inWindow(undefined, at('12:00')), true);
  const night = { start: '03:00', end: '05:00' };
  assert.deepEqual(['02:59', '03:00', '04:59', '05:00'].map((t) => inWindow(night, at(t))), [false, true, true, false]);
  const wrapping = { start: '23:30', end: '01:00' };
  assert.deepEqual(['23:29', '23:30', '00:10', '00:59', '01:00', '12:00'].map((t) => inWindow(wrapping, at(t))), [false, true, true, true, false, false]);
});
