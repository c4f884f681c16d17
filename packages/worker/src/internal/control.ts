import { waitAsync } from "./atomics.js"
/**
 * The one word of shared memory between a pool and each of its threads: how many jobs the thread
 * has finished. The pool counts the jobs it sent; after an interrupted job it waits (with
 * `Atomics.waitAsync`, never blocking the event loop) until the two agree or the grace period
 * ends. Shared memory rather than a reply message because a thread stuck in a synchronous loop
 * cannot send one, and a reply that races the next job would be ambiguous.
 *
 * @internal
 */
export const controlKey = "@weft/worker/control"

/** @internal */
export const makeControl = (): Int32Array => new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT))

/** Called by the thread when a job ends, however it ends. @internal */
export const markFinished = (control: Int32Array): void => {
  Atomics.add(control, 0, 1)
  Atomics.notify(control, 0)
}

/**
 * Resolves `true` once the thread has finished `sent` jobs, `false` if `timeoutMillis` pass first.
 *
 * @internal
 */
export const awaitFinished = async (control: Int32Array, sent: number, timeoutMillis: number): Promise<boolean> => {
  const deadline = performance.now() + timeoutMillis
  for (;;) {
    const finished = Atomics.load(control, 0)
    // Both counters are int32 and wrap together: compare their difference.
    if (((finished - sent) | 0) >= 0) return true
    const remaining = deadline - performance.now()
    if (remaining <= 0) return false
    const wait = waitAsync(control, 0, finished, remaining)
    if (wait.async) await wait.value
  }
}
