/**
 * The dashboard page at `/`: a header with the connection state and a few key numbers, then one
 * panel per entry of `Panels.panels`. It follows `/events` with an EventSource (no polling): the
 * first event of a connection carries the recent series, each later one the newest point, the
 * supervision tree and the dead-letter tail. When the gateway goes away the page says so, keeps
 * what it last drew (dimmed), and reconnects on its own.
 *
 * The page's script is plain browser JavaScript in strings; `Panels.ts` holds the panels.
 */
import * as Assets from "./Assets.js"
import * as Panels from "./Panels.js"

/** How long the browser waits before reconnecting (sent as the stream's SSE `retry`). */
export const reconnectMs = 1_000

const style = `
  :root { color-scheme: dark; --bg: #101318; --panel: #181c23; --line: #262b33; --muted: #8b95a3; --text: #e6e9ee;
    --green: #3fb950; --amber: #d29922; --red: #f85149; --blue: #58a6ff; }
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 1.25rem 1.5rem 2rem; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: baseline; gap: 1rem; margin-bottom: .75rem; }
  h1 { font-size: 1.3rem; margin: 0; }
  h2 { font-size: .95rem; margin: 0; font-weight: 600; }
  .sub { color: var(--muted); font-size: .8rem; font-weight: normal; }
  #status { font-size: .85rem; padding: .1rem .6rem; border-radius: 1rem; background: var(--line); color: var(--muted); }
  body[data-connection="live"] #status { background: #12301b; color: var(--green); }
  body[data-connection="retrying"] #status { background: #3d1518; color: var(--red); }
  #banner { display: none; background: #3d1518; color: #ffd7d5; border: 1px solid var(--red); border-radius: 6px;
    padding: .6rem 1rem; margin-bottom: .75rem; }
  body[data-connection="retrying"] #banner { display: block; }
  body[data-connection="retrying"] main { opacity: .45; }
  .keys { display: flex; flex-wrap: wrap; gap: .5rem 1.75rem; margin-bottom: 1rem; }
  .key .label { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .04em; }
  .key .value { font-size: 1.25rem; font-variant-numeric: tabular-nums; }
  main { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .9rem; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; min-width: 0; }
  .panel.wide { grid-column: 1 / -1; }
  .panel-head { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; margin-bottom: .4rem; }
  .now { color: var(--muted); font-size: .8rem; font-variant-numeric: tabular-nums; text-align: right; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  td, th { padding: .2rem .5rem; text-align: left; font-variant-numeric: tabular-nums; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: normal; }
  td.num, th.num { text-align: right; }
  .empty { color: var(--muted); font-size: .85rem; padding: .5rem 0; }
  .chip { display: inline-block; padding: .05rem .55rem; margin: 0 .35rem .35rem 0; border-radius: 1rem;
    background: var(--line); font-size: .8rem; font-variant-numeric: tabular-nums; }
  .dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .4rem; background: var(--muted); }
  [data-status="running"] .dot { background: var(--green); }
  [data-status="restarted"] .dot { background: var(--amber); }
  [data-status="restarted"] .status { color: var(--amber); }
  [data-status="killed"] .dot, [data-status="failed"] .dot { background: var(--red); }
  [data-status="killed"] .status, [data-status="failed"] .status { color: var(--red); }
  [data-status="stopped"] { color: var(--muted); }
  .actor { white-space: nowrap; }
  td.failure { color: var(--muted); font-size: .8rem; width: 45%; max-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .tree-root { color: var(--muted); margin-bottom: .3rem; }
  .group { margin: 0 0 .3rem .6rem; padding-left: .8rem; border-left: 1px solid var(--line); }
  .uplot { font-family: inherit; }
  .u-legend { font-size: .8rem; }
`

/** The page's core: the connection, the series it keeps, and the panel registry. */
const core = `
  const $ = (id) => document.getElementById(id)
  const fmt = (n) => n === null || n === undefined || Number.isNaN(n) ? "–" : Math.round(n).toLocaleString("en-US")
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])
  const clock = (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour12: false })
  const ago = (ms, now) => { const s = Math.max(0, (now - ms) / 1000); return s < 60 ? s.toFixed(s < 10 ? 1 : 0) + " s ago" : Math.round(s / 60) + " min ago" }
  const palette = ["#58a6ff", "#3fb950", "#d29922", "#f778ba", "#a371f7", "#39c5cf", "#f85149", "#e3b341"]

  // The panel registry: a panel is { id, title, subtitle, wide, create(body, now) → update(tick, points) }.
  const panels = []
  const panel = (spec) => panels.push(spec)

  // The recent points (the series), replaced by the history a connection starts with.
  const maxPoints = 300
  let points = []
  const addPoint = (point) => {
    if (point === null || (points.length > 0 && points[points.length - 1].t >= point.t)) return
    points.push(point)
    if (points.length > maxPoints) points.splice(0, points.length - maxPoints)
  }

  // The few numbers in the header: [element id, label, value].
  const keys = [
    ["fps", "frames/s in", (s) => fmt(s.framesPerSecond)],
    ["framesIn", "frames in", (s) => fmt(s.framesIn)],
    ["acked", "acked (fsynced)", (s) => fmt(s.acked)],
    ["connections", "connections", (s) => fmt(s.connections.active)],
    ["deadLetters", "dead letters", (s) => fmt(s.deadLetters)],
    ["restarts", "restarts", (s) => fmt(Object.values(s.restarts).reduce((a, b) => a + b, 0))],
    ["rss", "memory (RSS)", (s) => fmt(s.memory.rssBytes / 1048576) + " MiB"]
  ]
`

const boot = `
  $("keys").innerHTML = keys.map(([id, label]) =>
    '<div class="key"><div class="label">' + label + '</div><div class="value" id="' + id + '">–</div></div>').join("")
  const updates = panels.map((spec) => {
    const section = document.createElement("section")
    section.className = "panel" + (spec.wide ? " wide" : "")
    section.id = spec.id
    section.innerHTML = '<div class="panel-head"><h2>' + spec.title + ' <span class="sub">' + (spec.subtitle || "") +
      '</span></h2><div class="now"></div></div><div class="body"></div>'
    $("panels").appendChild(section)
    return spec.create(section.querySelector(".body"), section.querySelector(".now"))
  })

  const render = (tick) => {
    if (tick.history) points = tick.history.slice(-maxPoints)
    addPoint(tick.dashboard.point)
    keys.forEach(([id, , value]) => { $(id).textContent = value(tick) })
    $("uptime").textContent = "up " + Math.round(tick.uptimeMs / 1000) + " s"
    updates.forEach((update) => update(tick, points))
  }

  const setConnection = (state, text) => {
    document.body.dataset.connection = state
    $("status").textContent = text
  }
  let retry
  const connect = () => {
    const events = new EventSource("/events")
    events.addEventListener("open", () => setConnection("live", "live"))
    events.addEventListener("snapshot", (event) => {
      setConnection("live", "live")
      render(JSON.parse(event.data))
    })
    events.addEventListener("error", () => {
      // A refusal (503: too many subscribers) or a non-SSE answer closes it for good: retry here.
      // Otherwise the connection broke and the browser reconnects by itself.
      if (events.readyState === EventSource.CLOSED) {
        setConnection("retrying", "refused (too many dashboards open?), retrying…")
        clearTimeout(retry)
        retry = setTimeout(connect, ${reconnectMs})
      } else {
        setConnection("retrying", "disconnected, retrying…")
      }
    })
  }
  connect()
`

/** The whole page. */
export const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>weft gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${Assets.paths.stylesheet}">
<style>${style}</style>
<script src="${Assets.paths.script}"></script>
</head>
<body data-connection="connecting">
<header><h1>weft gateway</h1><span id="status">connecting…</span><span id="uptime" class="sub"></span></header>
<div id="banner">Disconnected from the gateway — retrying every ${
  reconnectMs / 1000
} s. Showing the last data received.</div>
<div class="keys" id="keys"></div>
<main id="panels"></main>
<script>
${core}
${Panels.chartHelper}
${Panels.panels.join("\n")}
${boot}
</script>
</body>
</html>
`
