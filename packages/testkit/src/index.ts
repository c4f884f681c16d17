export * as Interleavings from "./Interleavings.js"
export * as Strategy from "./Strategy.js"
