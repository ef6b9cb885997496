/** A listener for one event. */
export type Listener<T> = (payload: T) => void;
/**
 * A small typed event emitter. A listener that throws does not stop the
 * others or the SDK: its exception is rethrown from a microtask, where the
 * page's error reporting sees it.
 */
export declare class Emitter<Events extends object> {
    private readonly listeners;
    /** Calls `fn` for every `name` event; returns a function that removes it. */
    on<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void;
    /** Calls `fn` for the next `name` event only. */
    once<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void;
    /** Removes a listener added with `on`. */
    off<K extends keyof Events>(name: K, fn: Listener<Events[K]>): void;
    /** How many listeners `name` has. */
    listenerCount<K extends keyof Events>(name: K): number;
}
