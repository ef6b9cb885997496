/** A listener for one event. */
export type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter. A listener that throws does not stop the
 * others or the SDK: its exception is rethrown from a microtask, where the
 * page's error reporting sees it.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Calls `fn` for every `name` event; returns a function that removes it. */
  on<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(fn as Listener<never>);
    return () => this.off(name, fn);
  }

  /** Calls `fn` for the next `name` event only. */
  once<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(name, (payload) => {
      off();
      fn(payload);
    });
    return off;
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof Events>(name: K, fn: Listener<Events[K]>): void {
    this.listeners.get(name)?.delete(fn as Listener<never>);
  }

  /** How many listeners `name` has. */
  listenerCount<K extends keyof Events>(name: K): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  /** @internal */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<Events[K]>)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
