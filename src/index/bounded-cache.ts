/** @module A small least-recently-used cache bounded by a total weight (proof bytes, tree leaves). */

export class BoundedCache<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  #total = 0;

  constructor(
    readonly capacity: number,
    readonly weigh: (v: V) => number,
  ) {}

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.capacity) return;
    this.#map.set(key, { value, weight });
    this.#total += weight;
    if (this.#total <= this.capacity) return;
    // Evict down to 90% in one pass: a Map iteration restarts at its oldest (deleted) slots, so evicting one
    // entry per insert would walk past every earlier deletion each time.
    const target = this.capacity * 0.9;
    for (const [k, v] of this.#map) {
      if (this.#total <= target) break;
      this.#map.delete(k);
      this.#total -= v.weight;
    }
  }

  delete(key: K): void {
    const hit = this.#map.get(key);
    if (hit) {
      this.#map.delete(key);
      this.#total -= hit.weight;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#total = 0;
  }
}
