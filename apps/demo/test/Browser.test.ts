/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, opens `/` of a
 * gateway under load with chaos crashes and must see the charts fill with points, the supervision
 * tree list every plugin and a crash reach the dead-letter tail (the SSE stream reaches the page
 * and the page renders it); and when the gateway stops, the page must say it is disconnected and
 * retrying, then come back by itself when a gateway listens again.
 *
 * CI installs Chromium (`.ci/run`) and sets `WEFT_REQUIRE_BROWSER=1`, so there a missing browser
 * fails the test. On a machine without Chromium the test is skipped with a message.
 * `WEFT_UPDATE_SCREENSHOT=1` (the `screenshot` script) also saves docs/demo.png (1280 wide).
 */
import { describe, expect, it } from "@effect/vitest"
import { Bytes } from "@weft/bytes"
import { Effect, Schedule } from "effect"
import * as FileSystem from "node:fs"
import * as Path from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import * as Frame from "../src/Frame.js"
import { connect, start, waitUntil, write } from "./helpers.js"

const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
const available = FileSystem.existsSync(executablePath)
if (!available && process.env["WEFT_REQUIRE_BROWSER"] === "1") {
  throw new Error(`WEFT_REQUIRE_BROWSER=1 but no Chromium at ${executablePath} (apt-get install chromium)`)
}
if (!available) console.warn(`browser test skipped: no Chromium at ${executablePath}`)

const screenshotPath = Path.resolve(import.meta.dirname, "../../../docs/demo.png")
const updateScreenshot = process.env["WEFT_UPDATE_SCREENSHOT"] === "1"

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

/** A fresh page of the dashboard at `url`, `width` pixels wide, closed with the browser. */
const openDashboard = (browser: Browser, url: string, width = 1280) =>
  Effect.gen(function*() {
    const page = yield* Effect.promise(() => browser.newPage())
    const errors: Array<string> = []
    page.on("pageerror", (error) => errors.push(error.message))
    yield* Effect.promise(() => page.setViewportSize({ width, height: 900 }))
    // Loading waits for the page's own files only (uPlot comes from the gateway).
    const response = yield* Effect.promise(() => page.goto(url, { timeout: 60_000 }))
    expect(response?.status()).toBe(200)
    expect(yield* Effect.promise(() => page.title())).toBe("weft gateway")
    return { page, errors }
  })

/** A browser of its own that only follows `/events` with an EventSource, counting snapshots. */
const follower = (browser: Browser, url: string) =>
  Effect.gen(function*() {
    const page = yield* Effect.promise(() => browser.newPage())
    yield* Effect.promise(() => page.goto(`${url}/health`, { timeout: 60_000 }))
    yield* Effect.promise(() =>
      page.evaluate(() => {
        const state = window as unknown as { snapshots: number }
        state.snapshots = 0
        new EventSource("/events").addEventListener("snapshot", () => state.snapshots++)
      })
    )
    return page
  })

/** What `expression` evaluates to in the page. */
const inPage = <A>(page: Page, expression: string) => Effect.promise(() => page.evaluate(expression) as Promise<A>)

const connectionOf = (page: Page) => inPage<string>(page, "document.body.dataset.connection")

/** Points the chart `id` has drawn in its first line. */
const pointsOf = (page: Page, id: string) =>
  inPage<number>(page, `Number(document.querySelector('[data-chart="${id}"]').dataset.points)`)

/** The supervision tree's rows: [actor, status, restarts]. */
const treeRows = (page: Page) =>
  inPage<Array<[string, string, number]>>(
    page,
    `Array.from(document.querySelectorAll("#tree tr[data-actor]"), (row) =>
      [row.dataset.actor, row.dataset.status, Number(row.cells[3].textContent.replaceAll(",", ""))])`
  )

/** The dead-letter tail's rows: [actor, message, reason]. */
const deadLetterRows = (page: Page) =>
  inPage<Array<[string, string, string]>>(
    page,
    `Array.from(document.querySelectorAll("#dead-letters tbody tr"), (row) =>
      [row.cells[1].textContent, row.cells[2].textContent, row.cells[3].textContent])`
  )

const charts = ["throughput", "latency", "arena", "mailboxes", "handled"]

describe.skipIf(!available)("dashboard in Chromium", () => {
  it.scopedLive(
    "under load: the charts fill, the tree lists every plugin, a chaos crash reaches the dead-letter tail",
    () =>
      Effect.gen(function*() {
        // chaos crashes every 300th frame, so restarts and dead letters show up too.
        const { gateway, url } = yield* start({ sinkBatch: 64, chaosEvery: 300 })
        yield* Effect.forkScoped(load(gateway.tcpAddress.port))
        const { errors, page } = yield* Effect.flatMap(browser, (browser) => openDashboard(browser, url))

        yield* waitUntil("the page to be live", Effect.map(connectionOf(page), (state) => state === "live"))
        expect(yield* Effect.promise(() => page.textContent("#status"))).toBe("live")
        yield* waitUntil("a first snapshot", Effect.map(cardValue(page, "framesIn"), (n) => n > 0))
        // Every chart is drawn by uPlot (a canvas) and gains points as the seconds pass.
        for (const chart of charts) {
          yield* waitUntil(`the ${chart} chart to have 3 points`, Effect.map(pointsOf(page, chart), (n) => n >= 3))
          expect(yield* inPage<number>(page, `document.querySelectorAll('[data-chart="${chart}"] canvas').length`))
            .toBe(1)
        }
        // The legends name every plugin in the per-plugin charts.
        const legend = yield* Effect.promise(() => page.textContent("#mailboxes .u-legend"))
        for (const plugin of gateway.plugins()) expect(legend).toContain(plugin)

        // The tree lists every plugin, in start order, under the plugins group.
        yield* waitUntil(
          "the tree to list every plugin",
          Effect.map(
            treeRows(page),
            (rows) => rows.map(([actor]) => actor).join() === gateway.plugins().map((name) => `plugin-${name}`).join()
          )
        )
        expect(yield* Effect.promise(() => page.textContent("#tree"))).toContain("plugins")
        // A chaos crash: the dead-letter tail shows it, the tree counts the restart.
        yield* waitUntil(
          "a chaos crash in the dead-letter tail",
          Effect.map(
            deadLetterRows(page),
            (rows) => rows.some((row) => row.join() === "plugin-chaos,Deliveries,Crashed")
          )
        )
        yield* waitUntil(
          "the chaos restart in the tree",
          Effect.map(
            treeRows(page),
            (rows) => rows.some(([actor, , restarts]) => actor === "plugin-chaos" && restarts > 0)
          )
        )
        expect(
          yield* Effect.promise(() => page.textContent("#dead-letters"))
        ).toMatch(/Crashed \d/)
        // What the page shows never runs ahead of the server.
        expect(yield* cardValue(page, "framesIn")).toBeLessThanOrEqual(gateway.counters.framesIn)
        expect(errors).toEqual([])

        // The docs' screenshot shows a minute of history.
        if (updateScreenshot) {
          yield* waitUntil("a minute of points", Effect.map(pointsOf(page, "throughput"), (n) => n >= 60), 90_000)
        }
        const png = yield* Effect.promise(() => page.screenshot({ fullPage: true }))
        expect(png.subarray(1, 4).toString("latin1")).toBe("PNG")
        if (updateScreenshot) FileSystem.writeFileSync(screenshotPath, png)
      }),
    150_000
  )

  it.scopedLive(
    "16 browsers at once (the SSE limit): the dashboard among them is live; a 17th is refused, retries, gets in",
    () =>
      Effect.gen(function*() {
        const { config, gateway, url } = yield* start({ plugins: ["stats", "chaos"] })
        const chromium = yield* browser
        // 15 browsers (a context each, so each has its own connections) that only follow
        // /events, and one showing the dashboard: 16 drawing pages are too heavy for a 2-core
        // machine shared with other tests.
        const followers = yield* Effect.forEach(
          Array.from({ length: config.maxSseClients - 1 }),
          () => follower(chromium, url)
        )
        for (const page of followers) {
          yield* waitUntil(
            "every follower to receive a snapshot",
            inPage<boolean>(page, "window.snapshots > 0")
          )
        }
        const dashboard = yield* openDashboard(chromium, url, 640)
        yield* waitUntil(
          "the dashboard to be live",
          Effect.map(connectionOf(dashboard.page), (state) => state === "live")
        )
        yield* waitUntil("it to draw the tree", Effect.map(treeRows(dashboard.page), (rows) => rows.length === 2))
        expect(gateway.sseClients).toBe(16)
        // One more: the gateway answers 503, the page says so and keeps trying.
        const extra = yield* openDashboard(chromium, url, 640)
        yield* waitUntil("the 17th to retry", Effect.map(connectionOf(extra.page), (state) => state === "retrying"))
        expect(yield* Effect.promise(() => extra.page.textContent("#status"))).toBe(
          "refused (too many dashboards open?), retrying…"
        )
        yield* Effect.promise(() => followers[0]!.close())
        yield* waitUntil("the 17th to get in", Effect.map(connectionOf(extra.page), (state) => state === "live"))
        expect(gateway.sseClients).toBe(16)
        expect([...dashboard.errors, ...extra.errors]).toEqual([])
      }),
    180_000
  )

  it.scopedLive(
    "when the gateway stops the page says disconnected, retrying; it comes back by itself",
    () =>
      Effect.gen(function*() {
        const first = yield* start({ plugins: ["stats"] })
        const { errors, page } = yield* Effect.flatMap(browser, (browser) => openDashboard(browser, first.url))
        yield* waitUntil("the page to be live", Effect.map(connectionOf(page), (state) => state === "live"))

        yield* first.shutdown
        yield* waitUntil(
          "the page to say disconnected",
          Effect.map(connectionOf(page), (state) => state === "retrying")
        )
        expect(yield* Effect.promise(() => page.textContent("#status"))).toBe("disconnected, retrying…")
        expect(yield* Effect.promise(() => page.isVisible("#banner"))).toBe(true)
        // It stays so while nothing listens (the browser keeps trying).
        yield* Effect.sleep("2 seconds")
        expect(yield* connectionOf(page)).toBe("retrying")

        // A gateway on the same port: the page reconnects on its own and draws its data.
        const port = Number(new URL(first.url).port)
        const second = yield* start({ plugins: ["stats", "topics"], httpPort: port })
        yield* waitUntil("the page to be live again", Effect.map(connectionOf(page), (state) => state === "live"))
        yield* waitUntil(
          "the new gateway's tree",
          Effect.map(treeRows(page), (rows) => rows.map(([actor]) => actor).join() === "plugin-stats,plugin-topics")
        )
        expect(yield* Effect.promise(() => page.isVisible("#banner"))).toBe(false)
        expect(second.url).toBe(first.url)
        expect(errors).toEqual([])
      }),
    60_000
  )
})
