import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBool, parseDuration } from '../../../src/components/metadata-values.js';
import { expiryFrom, writeMode } from '../../../src/components/state-semantics.js';

describe('metadata values and state semantics', () => {
  test('parseDuration: Go durations in ms, bare numbers as seconds', () => {
    const cases: Array<[string, number | undefined]> = [
      ['2s', 2000], ['500ms', 500], ['1h30m', 5_400_000], ['1.5s', 1500], ['30', 30_000],
      ['-1', -1000], ['0', 0], ['-2m', -120_000], ['', undefined], ['soon', undefined], ['5 s', undefined], ['1d', undefined],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  test('parseBool', () => {
    assert.equal(parseBool('TRUE'), true);
    assert.equal(parseBool('0'), false);
    assert.equal(parseBool('maybe'), undefined);
  });

  test('writeMode picks the check Dapr requires', () => {
    assert.equal(writeMode({}), 'any');
    assert.equal(writeMode({ etag: '' }), 'any');
    assert.equal(writeMode({ concurrency: 'first-write' }), 'create');
    assert.equal(writeMode({ etag: '1', concurrency: 'last-write' }), 'match');
  });

  test('expiryFrom', () => {
    assert.equal(expiryFrom('k', undefined, 1000), undefined);
    assert.equal(expiryFrom('k', { ttlInSeconds: '-1' }, 1000), undefined);
    assert.equal(expiryFrom('k', { ttlInSeconds: '0' }, 1000), undefined);
    assert.equal(expiryFrom('k', { ttlInSeconds: '2' }, 1000), 3000);
    assert.throws(() => expiryFrom('k', { ttlInSeconds: '1.5' }, 0), /not an integer/);
    assert.throws(() => expiryFrom('k', { ttlInSeconds: '-5' }, 0), /out of range/);
  });
});
