// Watches one small text file (a token file, a JWKS file, an HMAC secret) and reports each new
// content. Kubernetes Secret volumes replace files by swapping a `..data` symlink in the
// folder, which a watch on the file itself misses: the FOLDER is watched and any event there
// re-reads the file. fs.watch is not reliable everywhere (network and overlay filesystems), so
// the file is also re-read every `pollMs` and compared with the last content read.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileWatch {
  /** re-read now (also called by the folder watch and the poll) */
  check(): Promise<void>;
  close(): void;
}

export interface FileWatchOptions {
  /** content differs from the last one read */
  onChange(text: string): void;
  /** the file cannot be read; called once per distinct failure until a read succeeds */
  onError(err: Error): void;
  pollMs?: number;
}

/** Reads the file now, synchronously (start-up: a missing file is a configuration error). */
export function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}

export function watchTextFile(path: string, initial: string, opts: FileWatchOptions): FileWatch {
  let last = initial;
  let lastError = '';
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const readOnce = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const msg = e.code ?? e.message;
      if (msg !== lastError && !closed) {
        lastError = msg;
        opts.onError(e);
      }
      return;
    }
    lastError = '';
    if (text !== last && !closed) {
      last = text;
      opts.onChange(text);
    }
  };
  // One read at a time; an event during a read schedules one more.
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => void check());
    watcher.on('error', () => {
      watcher?.close();
      watcher = undefined;
    });
  } catch {
    watcher = undefined; // the poll still covers it
  }
  const poll = setInterval(() => void check(), opts.pollMs ?? 1000);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
