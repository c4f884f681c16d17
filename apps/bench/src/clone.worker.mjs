// The bare postMessage peer of the worker bench: echoes every message. Structured clone copies
// the payload each way; with `transfer` set, the payload's buffer moves back instead.
import { parentPort } from "node:worker_threads"

parentPort.on("message", ({ payload, transfer }) => {
  parentPort.postMessage({ payload, transfer }, transfer ? [payload.buffer] : [])
})
