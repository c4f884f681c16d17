/** The dashboard page: static HTML that follows `/events` with an EventSource. */
export const dashboard = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>weft gateway</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; background: #111; color: #eee; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; }
  .card { background: #1d1d1d; border-radius: 6px; padding: .75rem 1rem; }
  .label { color: #999; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
  .value { font-size: 1.5rem; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; margin-top: 1rem; }
  td, th { padding: .2rem .8rem; text-align: right; font-variant-numeric: tabular-nums; }
  th { color: #999; font-weight: normal; }
  td:first-child, th:first-child { text-align: left; }
  #status { color: #999; }
</style>
</head>
<body>
<h1>weft gateway <span id="status">connecting…</span></h1>
<div class="grid">
  <div class="card"><div class="label">frames/s</div><div class="value" id="fps">–</div></div>
  <div class="card"><div class="label">MB/s</div><div class="value" id="mbps">–</div></div>
  <div class="card"><div class="label">frames in</div><div class="value" id="framesIn">–</div></div>
  <div class="card"><div class="label">acked (fsynced)</div><div class="value" id="acked">–</div></div>
  <div class="card"><div class="label">arena occupancy</div><div class="value" id="arena">–</div></div>
  <div class="card"><div class="label">dead letters</div><div class="value" id="deadLetters">–</div></div>
  <div class="card"><div class="label">restarts</div><div class="value" id="restarts">–</div></div>
  <div class="card"><div class="label">connections</div><div class="value" id="connections">–</div></div>
  <div class="card"><div class="label">p50 to fsync, last 10 s, ms</div><div class="value" id="p50Recent">–</div></div>
  <div class="card"><div class="label">p99 to fsync, last 10 s, ms</div><div class="value" id="p99Recent">–</div></div>
  <div class="card"><div class="label">p50 to fsync, since start, ms</div><div class="value" id="p50">–</div></div>
  <div class="card"><div class="label">p99 to fsync, since start, ms</div><div class="value" id="p99">–</div></div>
  <div class="card"><div class="label">memory (RSS), MiB</div><div class="value" id="rss">–</div></div>
</div>
<table>
  <thead><tr><th>plugin</th><th>mailbox</th><th>processed</th><th>restarts</th></tr></thead>
  <tbody id="plugins"></tbody>
</table>
<table>
  <thead><tr><th>top topics</th><th>score</th></tr></thead>
  <tbody id="topics"></tbody>
</table>
<script>
  const $ = (id) => document.getElementById(id)
  const fmt = (n) => n.toLocaleString("en-US")
  const row = (cells) => "<tr>" + cells.map((c) => "<td>" + c + "</td>").join("") + "</tr>"
  const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])
  const events = new EventSource("/events")
  events.addEventListener("open", () => { $("status").textContent = "live" })
  events.addEventListener("error", () => { $("status").textContent = "reconnecting…" })
  events.addEventListener("snapshot", (event) => {
    const s = JSON.parse(event.data)
    const restarts = Object.values(s.restarts).reduce((a, b) => a + b, 0)
    $("fps").textContent = fmt(s.framesPerSecond)
    $("mbps").textContent = (s.bytesPerSecond / 1e6).toFixed(2)
    $("framesIn").textContent = fmt(s.framesIn)
    $("acked").textContent = fmt(s.acked)
    $("arena").textContent = fmt(s.arena.live) + " / " + fmt(s.arena.capacity)
    $("deadLetters").textContent = fmt(s.deadLetters)
    $("restarts").textContent = fmt(restarts)
    $("connections").textContent = fmt(s.connections.active)
    const ms = (latency, key) => latency.count === 0 ? "–" : latency[key].toFixed(1)
    $("p50Recent").textContent = ms(s.recentLatency, "p50Ms")
    $("p99Recent").textContent = ms(s.recentLatency, "p99Ms")
    $("p50").textContent = ms(s.latency, "p50Ms")
    $("p99").textContent = ms(s.latency, "p99Ms")
    $("rss").textContent = fmt(Math.round(s.memory.rssBytes / 1048576))
    $("plugins").innerHTML = Object.entries(s.plugins)
      .map(([name, p]) => row([name, fmt(p.mailbox), fmt(p.processed), fmt(s.restarts["plugin-" + name] || 0)]))
      .join("")
    $("topics").innerHTML = s.topTopics.map((t) => row([escape(t.topic), t.score.toFixed(1)])).join("")
  })
</script>
</body>
</html>
`
