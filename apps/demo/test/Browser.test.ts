/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, opens `/` of a
 * gateway under load and must see the numbers move (the SSE stream reaches the page and the page
 * renders it).
 *
 * CI installs Chromium (`.ci/run`) and sets `WEFT_REQUIRE_BROWSER=1`, so there a missing browser
 * fails the test. On a machine without Chromium the test is skipped with a message.
 * `WEFT_UPDATE_SCREENSHOT=1` (the `screenshot` script) also saves docs/demo.png.
 */
import { describe, expect, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Effect, Schedule } from "effect"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import { chromium, type Page } from "playwright-core"
import * as Frame from "../src/Frame.js"
import { connect, start, waitUntil, write } from "./helpers.js"

const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const available = FileSystem.existsSync(executablePath)
if (!available && process.env["WEFT_REQUIRE_BROWSER"] === "1") {
  throw new Error(`WEFT_REQUIRE_BROWSER=1 but no Chromium at ${executablePath} (apt-get install chromium)`)
}
if (!available) console.warn(`browser test skipped: no Chromium at ${executablePath}`)

const screenshotPath = Path.resolve(import.meta.dirname, "../../../docs/demo.png")

/** A headless Chromium, closed with the test's scope. */
const browser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
    })
  ),
  (browser) => Effect.promise(() => browser.close())
)

/** The integer a dashboard card shows now ("12,345" → 12345; "–" before the first event → NaN). */
const cardValue = (page: Page, id: string) =>
  Effect.promise(() => page.textContent(`#${id}`)).pipe(
    Effect.map((text) => Number((text ?? "").replaceAll(",", "")))
  )

/** Steady load: one connection writing a batch of 50 frames over 5 topics every 20 ms. */
const load = (port: number) =>
  Effect.gen(function*() {
    const socket = yield* connect(port)
    const batch = Bytes.toUint8Array(Bytes.concatAll(
      Array.from({ length: 50 }, (_, i) => Bytes.fromUint8Array(Frame.encode(`topic-${i % 5}`, "x".repeat(64))))
    ))
    yield* write(socket, batch).pipe(Effect.repeat(Schedule.spaced("20 millis")))
  })

describe.skipIf(!available)("dashboard in Chromium", () => {
  it.scopedLive("opens / and sees frames, acks, topics and restarts move", () =>
    Effect.gen(function*() {
      // chaos crashes every 300th frame, so restarts and dead letters show up too.
      const { gateway, url } = yield* start({ sinkBatch: 64, chaosEvery: 300 })
      yield* Effect.forkScoped(load(gateway.tcpAddress.port))
      const page = yield* Effect.flatMap(browser, (browser) => Effect.promise(() => browser.newPage()))
      yield* Effect.promise(() => page.setViewportSize({ width: 1100, height: 720 }))
      const response = yield* Effect.promise(() => page.goto(url))
      expect(response?.status()).toBe(200)
      expect(yield* Effect.promise(() => page.title())).toBe("weft gateway")

      yield* waitUntil(
        "the page to say live",
        Effect.map(Effect.promise(() => page.textContent("#status")), (text) => text === "live")
      )
      yield* waitUntil("a first snapshot", Effect.map(cardValue(page, "framesIn"), (n) => n > 0))
      const first = yield* cardValue(page, "framesIn")
      // The numbers move: the page keeps rendering newer snapshots while load continues.
      yield* waitUntil("frames in to grow", Effect.map(cardValue(page, "framesIn"), (n) => n > first))
      yield* waitUntil("acks to show", Effect.map(cardValue(page, "acked"), (n) => n > 0))
      yield* waitUntil(
        "the plugin table to list the sink",
        Effect.map(Effect.promise(() => page.textContent("#plugins")), (text) => (text ?? "").includes("sink"))
      )
      yield* waitUntil("a latency to show", Effect.map(cardValue(page, "p99"), (n) => n > 0))
      expect(yield* cardValue(page, "p50")).toBeLessThanOrEqual(yield* cardValue(page, "p99"))
      // The last 10 s beside since-start.
      yield* waitUntil("a recent latency to show", Effect.map(cardValue(page, "p99Recent"), (n) => n > 0))
      expect(yield* cardValue(page, "p50Recent")).toBeLessThanOrEqual(yield* cardValue(page, "p99Recent"))
      expect(yield* cardValue(page, "rss")).toBeGreaterThan(0)
      yield* waitUntil("a restart to show", Effect.map(cardValue(page, "restarts"), (n) => n > 0))
      yield* waitUntil("its dead letter to show", Effect.map(cardValue(page, "deadLetters"), (n) => n > 0))
      const topics = yield* Effect.promise(() => page.textContent("#topics"))
      expect(topics).toContain("topic-0")
      // What the page shows never runs ahead of the server.
      expect(yield* cardValue(page, "framesIn")).toBeLessThanOrEqual(gateway.counters.framesIn)

      const png = yield* Effect.promise(() => page.screenshot({ fullPage: true }))
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG")
      if (process.env["WEFT_UPDATE_SCREENSHOT"] === "1") FileSystem.writeFileSync(screenshotPath, png)
    }), 60_000)
})
