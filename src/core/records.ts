/**
 * Lookups in records keyed by what clients choose (stream keys, region ids). A plain `record[key]`
 * answers "constructor" or "toString" with Object.prototype's functions, and `record[key] = v`
 * with "__proto__" replaces the prototype: both are valid stream keys, so every such record goes
 * through these.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function setOwnEntry<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
