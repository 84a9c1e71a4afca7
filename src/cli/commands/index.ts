// The commands besides `run`, loaded only when used (so `pillion run` starts as fast as before).
export type Command = (argv: string[], env: Readonly<Record<string, string | undefined>>) => Promise<number>;

export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  inject: async () => (await import('./inject.js')).inject,
  injector: async () => (await import('./injector.js')).injector,
  token: async () => (await import('./token.js')).token,
  invoke: async () => (await import('./invoke.js')).invoke,
  publish: async () => (await import('./publish.js')).publish,
  state: async () => (await import('./state.js')).state,
  list: async () => (await import('./list.js')).list,
  trust: async () => (await import('./trust.js')).trust,
};
