/**
 * @since 0.1.0
 */
export * as Arena from "./Arena.js"

/**
 * @since 0.1.0
 */
export * as ArenaMetrics from "./ArenaMetrics.js"

/**
 * @since 0.1.0
 */
export * as MessageArena from "./MessageArena.js"

/**
 * @since 0.1.0
 */
export * as MessageRef from "./MessageRef.js"
