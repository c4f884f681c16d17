/**
 * `Atomics.waitAsync` (Node ≥ 16), typed here because its declaration comes with TypeScript's
 * ES2024 lib, which the workspace (and anyone compiling these sources) need not enable.
 *
 * @internal
 */
export const waitAsync: (
  typedArray: Int32Array,
  index: number,
  value: number,
  timeoutMillis?: number
) => { readonly async: false; readonly value: "not-equal" | "timed-out" } | {
  readonly async: true
  readonly value: Promise<"ok" | "timed-out">
} = (Atomics as unknown as { readonly waitAsync: typeof waitAsync }).waitAsync
