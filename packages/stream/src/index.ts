/**
 * @since 0.1.0
 */
export * as Backpressure from "./Backpressure.js"
export * as NodeBridge from "./NodeBridge.js"
export * as SnapshotStream from "./SnapshotStream.js"
