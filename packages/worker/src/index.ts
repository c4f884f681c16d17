/**
 * @since 0.1.0
 */
export * as BlockingPool from "./BlockingPool.js"

/**
 * @since 0.1.0
 */
export * as BlockingRunner from "./BlockingRunner.js"

/**
 * @since 0.1.0
 */
export * as ThreadBytes from "./ThreadBytes.js"

/**
 * @since 0.1.0
 */
export * as SharedArena from "./SharedArena.js"

/**
 * @since 0.1.0
 */
export * as WorkerActor from "./WorkerActor.js"
