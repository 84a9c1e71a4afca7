// One behavioural suite for the state query API (StateStore.query), run against every store
// that reports QUERY_API. Queries are parsed by the core's parser, as in the sidecar.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StateStore } from '../../../src/components/types.js';
import { parseStateQuery } from '../../../src/core/state-query.js';

export interface QueryTarget {
  readonly name: string;
  /** a fresh, empty store with a query method */
  create(): Promise<StateStore>;
}

const PREFIX = 'app||';
const EMPLOYEES = [
  { id: 1, org: 'Dev Ops', state: 'CA', city: 'San Francisco', active: true },
  { id: 2, org: 'Hardware', state: 'WA', city: 'Seattle', active: false },
  { id: 3, org: 'Finance', state: 'NY', city: 'New York', active: true },
  { id: 4, org: 'Dev Ops', state: 'WA', city: 'Seattle', active: true },
  { id: 5, org: 'Finance', state: 'CA', city: 'Los Angeles', active: false },
  { id: 6, org: 'Dev Ops', state: 'NY', city: 'New York', active: true },
].map((e) => ({ person: { id: e.id, org: e.org }, state: e.state, city: e.city, active: e.active }));

async function seeded(target: QueryTarget): Promise<StateStore> {
  const s = await target.create();
  for (const [i, e] of EMPLOYEES.entries()) await s.set({ key: `${PREFIX}${i + 1}`, value: Buffer.from(JSON.stringify(e)) });
  // not returned: another app's key, a non-JSON value, a JSON scalar, an expired document
  await s.set({ key: 'other||9', value: Buffer.from(JSON.stringify(EMPLOYEES[0])) });
  await s.set({ key: `${PREFIX}bin`, value: Uint8Array.from([0x7b, 0xff, 0x00]) });
  await s.set({ key: `${PREFIX}scalar`, value: Buffer.from('"Dev Ops"') });
  return s;
}

async function keys(s: StateStore, query: object): Promise<string[]> {
  const res = await s.query!(PREFIX, parseStateQuery(JSON.stringify(query)));
  return res.items.map((i) => i.key.slice(PREFIX.length));
}

export function stateQueryConformance(target: QueryTarget): void {
  describe(`state query conformance: ${target.name}`, () => {
    test('filters: EQ, IN, AND, OR, nested paths, type-strict comparison', async () => {
      const s = await seeded(target);
      try {
        assert.deepEqual(await keys(s, {}), ['1', '2', '3', '4', '5', '6']);
        assert.deepEqual(await keys(s, { filter: { EQ: { 'person.org': 'Dev Ops' } } }), ['1', '4', '6']);
        assert.deepEqual(await keys(s, { filter: { EQ: { 'person.id': 3 } } }), ['3']);
        assert.deepEqual(await keys(s, { filter: { EQ: { 'person.id': '3' } } }), [], 'a string never equals a number');
        assert.deepEqual(await keys(s, { filter: { EQ: { active: false } } }), ['2', '5']);
        assert.deepEqual(await keys(s, { filter: { IN: { state: ['CA', 'WA'] } } }), ['1', '2', '4', '5']);
        assert.deepEqual(
          await keys(s, { filter: { OR: [{ EQ: { 'person.org': 'Hardware' } }, { AND: [{ EQ: { 'person.org': 'Finance' } }, { IN: { state: ['CA', 'WA'] } }] }] } }),
          ['2', '5'],
        );
        assert.deepEqual(await keys(s, { filter: { NEQ: { 'person.org': 'Dev Ops' } } }), ['2', '3', '5']);
        assert.deepEqual(await keys(s, { filter: { GT: { 'person.id': 4 } } }), ['5', '6']);
        assert.deepEqual(await keys(s, { filter: { AND: [{ GTE: { 'person.id': 2 } }, { LT: { 'person.id': 4 } }] } }), ['2', '3']);
        assert.deepEqual(await keys(s, { filter: { LTE: { city: 'New York' } } }), ['3', '5', '6']);
        assert.deepEqual(await keys(s, { filter: { EQ: { 'no.such.field': 1 } } }), []);
      } finally {
        await s.close();
      }
    });

    test('sort (several keys, ASC/DESC) and paging with tokens', async () => {
      const s = await seeded(target);
      try {
        assert.deepEqual(await keys(s, { sort: [{ key: 'state', order: 'DESC' }, { key: 'person.id' }] }), ['2', '4', '3', '6', '1', '5']);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const res = await s.query!(PREFIX, parseStateQuery(JSON.stringify({ sort: [{ key: 'person.id', order: 'DESC' }], page: { limit: 4, token } })));
          seen.push(...res.items.map((i) => i.key.slice(PREFIX.length)));
          token = res.nextOffset === undefined ? undefined : String(res.nextOffset);
          pages++;
        } while (token !== undefined);
        assert.deepEqual(seen, ['6', '5', '4', '3', '2', '1']);
        assert.equal(pages, 2);
      } finally {
        await s.close();
      }
    });

    test('results carry the stored bytes and ETag; expired documents are left out', async () => {
      const s = await seeded(target);
      try {
        await s.set({ key: `${PREFIX}short`, value: Buffer.from('{"state":"CA"}'), metadata: { ttlInSeconds: '1' } });
        const res = await s.query!(PREFIX, parseStateQuery('{"filter":{"EQ":{"person.id":1}}}'));
        assert.equal(res.items.length, 1);
        const stored = await s.get(`${PREFIX}1`);
        assert.equal(res.items[0]!.etag, stored!.etag);
        assert.equal(Buffer.from(res.items[0]!.value).toString(), JSON.stringify(EMPLOYEES[0]));
        assert.deepEqual(await keys(s, { filter: { EQ: { state: 'CA' } } }), ['1', '5', 'short']);
        await new Promise((r) => setTimeout(r, 1100));
        assert.deepEqual(await keys(s, { filter: { EQ: { state: 'CA' } } }), ['1', '5']);
      } finally {
        await s.close();
      }
    });
  });
}
