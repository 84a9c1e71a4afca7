// The commands besides `run`, loaded only when used (so `pillion run` starts as fast as before).
export type Command = (argv: string[], env: Readonly<Record<string, string | undefined>>) => Promise<number>;

export const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  inject: async () => (await import('./inject.js')).inject,
  injector: async () => (await import('./injector.js')).injector,
  token: async () => (await import('./token.js')).token,
};
