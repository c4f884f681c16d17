export * as Readiness from "./Readiness.js"
