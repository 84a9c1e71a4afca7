import { createInMemoryStateStore } from '../../../src/components/state-in-memory.js';
import { ctx, spec } from './helpers.js';
import { stateStoreConformance } from './state-conformance.js';

stateStoreConformance({
  name: 'state.in-memory',
  create: () => createInMemoryStateStore(spec('state.in-memory'), ctx()),
});
