/**
 * Input checks shared by the descriptors' builders: they throw at once, before any I/O.
 *
 * @module
 */

/** Returns `value` when it is a non-empty string; throws TypeError naming `name` otherwise. */
export function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`Invalid ${name}: expected a non-empty string`);
  }
  return value;
}

/** Returns `value` when it is an integer in `min..max`; throws RangeError otherwise. */
export function integer(name: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    const range = max === Infinity ? `of ${min} or more` : `from ${min} to ${max}`;
    throw new RangeError(`Invalid ${name}: expected an integer ${range}`);
  }
  return value as number;
}

/** Returns `value` when it is a plain object (not null, not an array); throws TypeError otherwise. */
export function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Invalid ${name}: expected an object`);
  }
  return value as Record<string, unknown>;
}
