/**
 * @module A small cache bounded by a total weight (proof bytes, tree leaves) that keeps what is used again: a
 * hit only marks its entry (no reordering, so a hit costs one map lookup), and eviction walks from the oldest
 * entry, giving each marked one a second chance at the young end (CLOCK, an approximation of least recently used).
 */

interface Entry<V> {
  value: V;
  weight: number;
  used: boolean;
}

export class BoundedCache<K, V> {
  readonly #map = new Map<K, Entry<V>>();
  #total = 0;

  constructor(
    readonly capacity: number,
    readonly weigh: (v: V) => number,
  ) {}

  /** The weight held now. */
  get total(): number {
    return this.#total;
  }

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    hit.used = true;
    return hit.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.capacity) return;
    this.#map.set(key, { value, weight, used: false });
    this.#total += weight;
    if (this.#total <= this.capacity) return;
    // Evict down to 90% in one pass: a Map iteration restarts at its oldest (deleted) slots, so evicting one
    // entry per insert would walk past every earlier deletion each time. An entry used since it was (re)inserted
    // moves to the young end unmarked instead; met again in this pass, it goes.
    const target = this.capacity * 0.9;
    for (const [k, e] of this.#map) {
      if (this.#total <= target) break;
      this.#map.delete(k);
      if (e.used) {
        e.used = false;
        this.#map.set(k, e);
      } else {
        this.#total -= e.weight;
      }
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
