// The launcher (bin/pillion) starts Node with an 8× larger tier-up budget (--interrupt-budget)
// so that code which runs only during start-up — module loading, protobuf-es decoding the
// embedded descriptors — stays in the interpreter instead of being optimised: ~7 MB less
// resident memory for the rest of the sidecar's life. Once the sidecar serves, that budget
// would only slow the request path down: a function must run 8× as long before V8 optimises
// it, so under steady traffic the request path still ran partly unoptimised after 15,000 calls
// (sidecar-to-sidecar invocation ~20 % more CPU per call; bench/README.md "Tier-up budget").
// V8 reads the flag each time it resets a function's budget, so setting it back once start-up
// is over affects exactly the code that runs from then on.
import { setFlagsFromString } from 'node:v8';

/** V8's own default in Node 20 (V8 11.3; `node --v8-options`). */
export const SERVING_INTERRUPT_BUDGET = 67_584;

/** Start-up is over: from now on functions tier up on V8's normal budget. */
export function useServingTierUpBudget(): void {
  setFlagsFromString(`--interrupt-budget=${SERVING_INTERRUPT_BUDGET}`);
}
