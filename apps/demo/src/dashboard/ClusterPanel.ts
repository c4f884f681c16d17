/**
 * The dashboard's `cluster` panel (registered in `Panels.ts`): with `serve --runners N`, one row
 * per runner process — status, shards it owns, topic entities on it, messages it handled and their
 * rate — with a button that SIGKILLs it (`POST /cluster/runners/:pid/kill`) and one that starts
 * another runner. Killing a runner shows the rebalance live: its row turns red, its shards drop to
 * 0, and within seconds the others' shard counts add up to all of them again. Hidden without a
 * cluster.
 */
export const clusterPanel = `
  panel({
    id: "cluster", title: "Cluster runners", subtitle: "Topic entities sharded over runner processes", wide: true,
    create: (body, now) => {
      body.parentElement.style.display = "none"
      body.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-action]")
        if (button === null) return
        button.disabled = true
        const url = button.dataset.action === "kill" ? "/cluster/runners/" + button.dataset.pid + "/kill" : "/cluster/runners"
        fetch(url, { method: "POST" }).finally(() => { button.disabled = false })
      })
      return (tick) => {
        const cluster = tick.dashboard.cluster
        body.parentElement.style.display = cluster ? "" : "none"
        if (!cluster) return
        const owned = cluster.runners.reduce((n, r) => n + r.shards, 0)
        now.textContent = cluster.runners.filter((r) => r.status === "up").length + " up · " + owned + " / " +
          cluster.shardsPerGroup + " shards owned · " + fmt(cluster.tells) + " tells (" + fmt(cluster.retries) + " retried) · " + fmt(cluster.pendingFrames) + " frames pending"
        const status = (r) => r.status === "up" ? "running" : r.status === "killed" ? "killed" : r.status === "exited" ? "stopped" : "restarted"
        const row = (r) =>
          '<tr data-runner="' + r.pid + '" data-status="' + status(r) + '"><td class="actor"><span class="dot"></span>pid ' + r.pid +
          '</td><td>:' + r.port + '</td><td class="status">' + r.status + '</td><td class="num">' + fmt(r.shards) +
          '</td><td style="width:25%"><div style="height:.55rem;border-radius:3px;background:#58a6ff;width:' +
          (100 * r.shards / cluster.shardsPerGroup).toFixed(1) + '%"></div></td><td class="num">' + fmt(r.entities) +
          '</td><td class="num">' + fmt(r.messages) + '</td><td class="num">' + fmt(r.messagesPerSecond) + '</td><td>' +
          (r.status === "up" ? '<button data-action="kill" data-pid="' + r.pid + '">kill -9</button>' : "") + '</td></tr>'
        body.innerHTML = '<table><thead><tr><th>runner</th><th>port</th><th>status</th><th class="num">shards</th><th></th>' +
          '<th class="num">entities</th><th class="num">messages</th><th class="num">msg/s</th><th></th></tr></thead><tbody>' +
          cluster.runners.map(row).join("") + '</tbody></table>' +
          '<div style="margin-top:.4rem"><button data-action="start">start a runner</button> ' +
          '<span class="sub">PostgreSQL: ' + escape(cluster.database) + '</span></div>'
      }
    }
  })
`
