import { defineProject, mergeConfig } from "vitest/config"
import { shared } from "../../vitest.shared.js"

// Real worker threads: each one loads effect through tsx before it serves a job, which takes
// seconds on a loaded 2-core machine.
export default mergeConfig(shared, defineProject({ test: { name: "worker", testTimeout: 120_000 } }))
