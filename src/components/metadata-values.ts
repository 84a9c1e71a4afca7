// Typed readers for `spec.metadata` values. Every value arrives as a string (the loader has
// already stringified numbers/booleans and resolved secretKeyRef); factories use these helpers
// so that a bad value always fails the same way: a ComponentConfigError naming the field.

import { MAX_TIMER_MS, parseDuration as parseGoDuration, TOO_LONG_FOR_A_TIMER } from '../util/units.js';
import { ComponentConfigError, type ComponentSpec } from './types.js';

/**
 * Go-style duration (`1h30m`, `2s`, `500ms`, `-1`) in milliseconds. A bare number means
 * seconds, as Dapr documents for `timeout`; we apply that to every duration field so the rule
 * is the same everywhere.
 */
export function parseDuration(text: string): number | undefined {
  return parseGoDuration(text, 1000);
}

/** Dapr accepts the usual Go truthy spellings for boolean metadata. */
export function parseBool(text: string): boolean | undefined {
  switch (text.trim().toLowerCase()) {
    case 'true': case '1': case 'yes': case 'y': case 'on':
      return true;
    case 'false': case '0': case 'no': case 'n': case 'off': case '':
      return false;
    default:
      return undefined;
  }
}

/** Reads one component's metadata; every failure names `spec.metadata.<field>` and the file. */
export class MetadataReader {
  constructor(private readonly spec: ComponentSpec) {}

  fail(field: string, detail: string): never {
    throw new ComponentConfigError(this.spec.source, `spec.metadata.${field}`, detail);
  }

  /** The raw value, treating an empty string as absent (Dapr does the same). */
  optional(field: string): string | undefined {
    const v = this.spec.metadata[field];
    return v === undefined || v === '' ? undefined : v;
  }

  required(field: string): string {
    return this.optional(field) ?? this.fail(field, `required by ${this.spec.type}`);
  }

  bool(field: string, fallback: boolean): boolean {
    const raw = this.optional(field);
    if (raw === undefined) return fallback;
    return parseBool(raw) ?? this.fail(field, `expected true or false, got "${raw}"`);
  }

  /** Duration in milliseconds. */
  duration(field: string, fallbackMs: number): number {
    const raw = this.optional(field);
    if (raw === undefined) return fallbackMs;
    const ms = parseDuration(raw) ?? this.fail(field, `expected a duration like "2s" or "500ms", got "${raw}"`);
    // A timer cannot wait longer: it would fire at once, every time.
    return ms <= MAX_TIMER_MS ? ms : this.fail(field, `"${raw}" ${TOO_LONG_FOR_A_TIMER}`);
  }
}
