/**
 * @since 0.1.0
 */
export * as ClusterEntity from "./ClusterEntity.js"

/**
 * @since 0.1.0
 */
export * as ClusterError from "./ClusterError.js"

/**
 * @since 0.1.0
 */
export * as Embedded from "./Embedded.js"
