// Entry point: `pillion <command>`, or daprd-compatible `daprd [flags]` when invoked under
// that name (bin/daprd, or ~/.dapr/bin/daprd linked to bin/pillion).
import { ConfigError, buildRunConfig } from '../config/run-config.js';
import { startSidecar } from '../runtime/sidecar.js';
import { writeFileSync } from 'node:fs';
import { DAPR_COMPAT_VERSION, VERSION } from '../version.js';
import { MAIN_HELP, runHelp } from './help.js';
import { parseArgs } from './parse-args.js';
import { waitForOutbound } from './wait.js';
import { COMMANDS } from './commands/index.js';

async function main(argv: string[]): Promise<number> {
  const invokedAs = process.env.PILLION_INVOKED_AS === 'daprd' ? 'daprd' : 'pillion';
  delete process.env.PILLION_INVOKED_AS;
  let args = argv;
  if (invokedAs === 'pillion') {
    const [cmd, ...rest] = argv;
    if (cmd === '--version' || cmd === '-version' || cmd === 'version') return print(VERSION);
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') return print(MAIN_HELP, cmd === undefined ? 2 : 0);
    const command = cmd === undefined ? undefined : COMMANDS[cmd];
    if (command) return (await command())(rest, process.env);
    if (cmd !== 'run') {
      process.stderr.write(`pillion: unknown command "${cmd}"\n\n${MAIN_HELP}`);
      return 2;
    }
    args = rest;
  }
  if (invokedAs === 'daprd') nameProcess('daprd');
  const parsed = parseArgs(args);
  if (parsed.values.get('help')) return print(runHelp(invokedAs));
  if (parsed.values.get('version')) return print(invokedAs === 'daprd' ? DAPR_COMPAT_VERSION : VERSION);
  if (parsed.values.get('build-info')) {
    return print(`Version: ${invokedAs === 'daprd' ? DAPR_COMPAT_VERSION : VERSION}\nRuntime: Pillion ${VERSION} (Node.js ${process.version}), Dapr API ${DAPR_COMPAT_VERSION}`);
  }

  let cfg;
  try {
    cfg = buildRunConfig(parsed, { ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${invokedAs}: invalid flags:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\nRun with --help for the flags.\n`);
      return 2;
    }
    throw err;
  }
  if (cfg.wait) return waitForOutbound(cfg.httpPort, cfg.listenAddresses[0] ?? '127.0.0.1');

  let sidecar;
  try {
    sidecar = await startSidecar(cfg, { ...process.env });
  } catch (err) {
    process.stderr.write(`${invokedAs}: fatal: ${(err as Error).message}\n`);
    return 1;
  }
  const onSignal = (sig: string) => () => void sidecar.stop(`received ${sig}`, 0);
  process.once('SIGTERM', onSignal('SIGTERM'));
  process.once('SIGINT', onSignal('SIGINT'));
  return sidecar.stopped;
}

/**
 * Tools find daprd by process name (`dapr list` / `dapr stop` read /proc/<pid>/comm). Setting
 * process.title would also overwrite the command line they parse flags from, so only the
 * comm name is changed. Linux only; elsewhere this is a no-op.
 */
function nameProcess(name: string): void {
  try {
    writeFileSync('/proc/self/comm', name);
  } catch {
    // not Linux, or not allowed: the name is cosmetic
  }
}

function print(text: string, code = 0): number {
  (code === 0 ? process.stdout : process.stderr).write(text.endsWith('\n') ? text : text + '\n');
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Servers are closed; anything left (timers of libraries) must not keep us alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
