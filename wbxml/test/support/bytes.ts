import { expect } from 'vitest';
import { WbxmlError, type WbxmlErrorCode } from '../../src/errors';

/** Bytes from numbers, strings (UTF-8, no terminator) and nested arrays: `wb(0x03, 'v1', 0)`. */
export function wb(...parts: (number | string | Uint8Array | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(...new TextEncoder().encode(p));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** The EAS header every peer writes. */
export const HEADER = [0x03, 0x01, 0x6a, 0x00] as const;

/** Hex dump for readable failures. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Runs fn, asserting it throws a WbxmlError with this code and offset; returns the error. */
export function expectWbxmlError(fn: () => unknown, code: WbxmlErrorCode, offset?: number): WbxmlError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a WbxmlError').toBeInstanceOf(WbxmlError);
  const e = thrown as WbxmlError;
  expect({ code: e.code, offset: offset === undefined ? undefined : e.offset }).toEqual({ code, offset });
  expect(e.message.length).toBeGreaterThan(10);
  return e;
}
