// parseGrpcTimeout: the grpc-timeout header as a timer delay, or no deadline.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, parseGrpcTimeout } from '../../../src/api/grpc/timeout.js';

describe('parseGrpcTimeout', () => {
  test('every unit of the spec, rounded up to whole milliseconds', () => {
    assert.equal(parseGrpcTimeout('2H'), 7_200_000);
    assert.equal(parseGrpcTimeout('3M'), 180_000);
    assert.equal(parseGrpcTimeout('5S'), 5000);
    assert.equal(parseGrpcTimeout('100m'), 100);
    assert.equal(parseGrpcTimeout('1500u'), 2);
    assert.equal(parseGrpcTimeout('1n'), 1);
    assert.equal(parseGrpcTimeout('0S'), 0);
  });

  test('absent or malformed (more than 8 digits, no unit, a sign, a list) is no deadline', () => {
    for (const v of [undefined, '', '5', 'S', '-1S', '1.5S', '123456789S', '99999999999999999999n', '5s', ['5S']]) {
      assert.equal(parseGrpcTimeout(v), undefined, JSON.stringify(v));
    }
  });

  test('a deadline longer than a timer can hold is no deadline, not an instant one', () => {
    assert.equal(parseGrpcTimeout('2147483S'), 2_147_483_000); // just inside
    assert.equal(parseGrpcTimeout(`${Math.floor(MAX_TIMER_MS / 1000) + 1}S`), undefined);
    assert.equal(parseGrpcTimeout('3000000S'), undefined);
    assert.equal(parseGrpcTimeout('99999999H'), undefined);
  });
});
