/**
 * `target[key] = value` as an own, enumerable property for every key, `__proto__` included: assigning
 * that key would set the object's prototype instead (or be ignored for a string), and the column or
 * array named so would vanish. The object stays a plain one; JSON.parse treats the key the same way.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
