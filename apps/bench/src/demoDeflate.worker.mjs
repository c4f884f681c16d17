// The thread of the `--workers 1` ceiling row (demoWorkers.ts): deflates job-sized records with the
// built compress plugin's own `deflateRecords`, with the same modules loaded as its worker thread,
// and answers each request with the frames it deflated.
import { deflateRecords } from "@weft/demo/workers/Compressor"
import { parentPort } from "node:worker_threads"

parentPort.on("message", ({ frames, records, recordSize }) => {
  const perJob = records.length / recordSize
  let deflated = 0
  while (deflated < frames) {
    const now = Math.min(perJob, frames - deflated)
    deflateRecords(records.subarray(0, now * recordSize))
    deflated += now
  }
  parentPort.postMessage(deflated)
})
