/**
 * @since 0.1.0
 */
export * as ClusterEntity from "./ClusterEntity.js"

/**
 * @since 0.1.0
 */
export * as ClusterEntityError from "./ClusterEntityError.js"

/**
 * @since 0.1.0
 */
export * as ClusterRunner from "./ClusterRunner.js"

/**
 * @since 0.1.0
 */
export * as Embedded from "./Embedded.js"
