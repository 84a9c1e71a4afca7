// Reads Dapr resource folders into YAML documents, keeping enough position information to point
// a user at the right line. Knows nothing about what a Component is (resource-schema.ts does).

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';

export interface ResourceDocument {
  /** file path as the user will recognise it (resources path joined with the file name) */
  readonly source: string;
  readonly value: unknown;
  /** 1-based line of the node at `path`, or of its nearest ancestor that exists */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

export interface ReadResult {
  readonly docs: ResourceDocument[];
  /** problems already formatted as `file[:line]: detail` */
  readonly problems: string[];
}

const YAML_EXT = new Set(['.yaml', '.yml']);

/** Every `*.yaml` / `*.yml` directly inside each path (sorted, so load order is stable). A
 * path naming a single file is read as is. Folders are not searched recursively, as in daprd. */
async function listFiles(paths: readonly string[], problems: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of paths) {
    const info = await stat(dir).catch(() => undefined);
    if (!info) {
      problems.push(`${dir}: resources path does not exist`);
    } else if (info.isFile()) {
      files.push(dir);
    } else if (!info.isDirectory()) {
      problems.push(`${dir}: not a file or a folder`); // e.g. /dev/null
    } else {
      const names = (await readdir(dir)).filter((n) => YAML_EXT.has(extname(n).toLowerCase())).sort();
      for (const n of names) {
        const f = join(dir, n);
        if ((await stat(f).catch(() => undefined))?.isFile()) files.push(f);
      }
    }
  }
  return files;
}

type Ranged = { range?: [number, number, number] | null } | null | undefined;

function positioned(source: string, doc: Document, value: unknown, lc: LineCounter): ResourceDocument {
  const lineOfNode = (n: unknown): number | undefined => {
    const r = (n as Ranged)?.range;
    return r ? lc.linePos(r[0]).line : undefined;
  };
  return {
    source,
    value,
    // Walks the path; a map entry is located by its key (`type:` rather than its value), and a
    // missing entry by its closest existing parent, which is where the user has to add it.
    lineOf(path) {
      let node: unknown = doc.contents;
      let line = lineOfNode(node);
      for (const seg of path) {
        let next: unknown;
        let at: unknown;
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
          next = pair?.value;
          at = pair?.key;
        } else if (isSeq(node) && typeof seg === 'number') {
          next = at = node.items[seg];
        }
        if (at === undefined) break;
        line = lineOfNode(at) ?? line;
        node = next;
      }
      return line;
    },
  };
}

/** First line of a yaml error, without the lib's own " at line X, column Y" (we add `:line`). */
function yamlMessage(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

export async function readResourceDocuments(paths: readonly string[]): Promise<ReadResult> {
  const problems: string[] = [];
  const docs: ResourceDocument[] = [];
  for (const file of await listFiles(paths, problems)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      continue;
    }
    try {
      readDocuments(file, text, docs, problems);
    } catch (err) {
      // yaml reads nested collections recursively: thousands of levels exhaust the stack
      if (!(err instanceof RangeError)) throw err;
      problems.push(`${file}: nested too deeply to read (${err.message})`);
    }
  }
  return { docs, problems };
}

function readDocuments(file: string, text: string, docs: ResourceDocument[], problems: string[]): void {
  const lc = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lc })) {
    if (doc.errors.length > 0) {
      // A syntax error makes the whole document unusable; report each error, keep going so
      // the user sees problems in other files too.
      for (const e of doc.errors) {
        const line = e.linePos?.[0].line;
        problems.push(`${file}${line ? `:${line}` : ''}: YAML syntax error: ${yamlMessage(e.message)}`);
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    if (value === null || value === undefined) continue; // empty document (e.g. trailing ---)
    if (typeof value !== 'object' || Array.isArray(value)) {
      // e.g. a file in another encoding (UTF-16), read as one long string
      const line = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : undefined;
      problems.push(`${file}${line ? `:${line}` : ''}: not a resource: expected a mapping with apiVersion, kind and metadata, got ${Array.isArray(value) ? 'a list' : `a ${typeof value}`} (is the file UTF-8?)`);
      continue;
    }
    docs.push(positioned(file, doc, value, lc));
  }
}
