// The dashboard's page: every figure comes from the JSON API (/api/status is what `dbform status --format json`
// prints); nothing here can change the fleet. Bundled with uPlot at build time (scripts/bundle-dashboard.mjs).
import uPlot from 'uplot';

const main = document.getElementById('main');
const state = { status: null, showIdle: false, charts: new Map(), timer: undefined, backupsAt: 0 };
// Listing backups reads the storage and runs pgbackrest info on the host: at most once a minute per page.
const BACKUPS_EVERY_MS = 60_000;

const esc = (v) => String(v ?? '-').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
function bytes(n) {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '-');
const drift = (d) => (!d ? 'not checked' : d.error ? `unknown: ${d.error}` : d.changes === 0 ? 'in sync' : `${d.changes} change(s)`);
const backup = (b) => (!b ? 'off' : b.error ? `cannot be listed: ${b.error}` : b.lastGood ? `${b.lastGood.id} (${when(b.lastGood.startedAt)})` : 'none yet');

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function fleetPage(s) {
  const rows = s.addons.map((a) => `<tr data-addon="${esc(a.addon)}"><td><a href="#addon=${encodeURIComponent(a.addon)}">${esc(a.addon)}</a></td>
    <td>${esc(a.plan)}</td><td>${esc(a.members.filter((m) => !m.readReplica).map((m) => m.host).join(', '))}</td><td>${esc(a.serverVersion ?? a.version)}</td>
    <td class="state-${esc(a.state)}">${esc(a.state)}</td><td>${esc(drift(a.drift))}</td><td>${esc(backup(a.backups))}</td></tr>`);
  const hostErrors = Object.entries(s.hostErrors).map(([h, e]) => `<p class="bad">host ${esc(h)}: ${esc(e)}</p>`).join('');
  main.innerHTML = `<h2>Fleet</h2><table id="fleet"><thead><tr><th>add-on</th><th>plan</th><th>host(s)</th><th>version</th><th>state</th><th>drift</th><th>last backup</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>${hostErrors}`;
}

function lag(m) {
  if (m.replicationLagSeconds === null && m.replicationLagBytes === null) return '-';
  return `${m.replicationLagSeconds === null ? '-' : `${m.replicationLagSeconds} s`}, ${bytes(m.replicationLagBytes)}`;
}

// A cluster's gateways: their container's CPU and memory only (no catalog, no data directory of their own).
function gatewayRows(a) {
  return (a.gateways ?? []).map((g) => `<tr data-gateway="${esc(g.host)}"><td>${esc(g.name)}</td><td>gateway</td><td class="state-${esc(g.state)}">${esc(g.state)}</td>
    <td class="num">${g.cpuPercent === null ? '-' : `${g.cpuPercent} %`}</td>
    <td class="num">${bytes(g.memory.current)} / ${bytes(g.memory.peak)} / ${g.memory.limit === null ? 'no limit' : bytes(g.memory.limit)}</td>
    <td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>`).join('');
}

function figureRows(a) {
  return a.members.map((m) => `<tr data-member="${esc(m.name)}" data-host="${esc(m.host)}"><td>${esc(m.name)}</td><td>${esc(m.readReplica ? 'read replica' : m.role)}</td><td class="state-${esc(m.state)}">${esc(m.state)}</td>
    <td class="num">${m.cpuPercent === null ? '-' : `${m.cpuPercent} %`}</td>
    <td class="num">${bytes(m.memory.current)} / ${bytes(m.memory.peak)} / ${bytes(m.memory.limit)}</td><td class="num">${bytes(m.memory.free)}</td>
    <td class="num">${bytes(m.swap.current)}</td><td class="num">${esc(m.connections.open)} / ${esc(m.connections.max)}</td>
    <td class="num">${bytes(m.dataSize)}</td><td class="num">${bytes(m.diskSize)}</td>
    <td class="num">${m.disk.quota === null ? 'no quota' : bytes(m.disk.quota)}; ${bytes(m.disk.filesystemFree)} free</td>
    <td class="num">${esc(lag(m))}</td></tr>`).join('') + gatewayRows(a);
}

function addonPage(a) {
  main.innerHTML = `<p><a href="#">Fleet</a> / <b>${esc(a.addon)}</b> <span class="muted">${esc(a.plan)} on ${esc(a.host)}, PostgreSQL ${esc(a.serverVersion ?? a.version)}</span></p>
    <h2>Figures</h2><table id="figures"><thead><tr><th>member</th><th>role</th><th>state</th><th>CPU</th><th>memory now / highest / limit</th><th>free</th><th>swap</th>
    <th>connections</th><th>data</th><th>on disk</th><th>disk</th><th>replication lag</th></tr></thead><tbody>${figureRows(a)}</tbody></table>
    <h2>Over time</h2><div class="charts" id="charts"></div>
    <h2>Queries</h2><label><input type="checkbox" id="idle-toggle" ${state.showIdle ? 'checked' : ''}> show idle sessions</label>
    <table id="queries"><thead><tr><th>pid</th><th>user</th><th>client</th><th>state</th><th>duration</th><th>wait</th><th>query</th></tr></thead><tbody></tbody></table>
    <h2>Backups</h2><div id="backups-box"><p class="muted">${esc(a.backups ? 'listing the backups…' : 'off: the plan takes no backups')}</p></div>
    <h2>The last plan against the file</h2><p id="drift">${esc(drift(a.drift))}</p><div id="plan-box"></div>
    ${a.errors.map((e) => `<p class="bad">${esc(e)}</p>`).join('')}`;
  state.backupsAt = 0;
  document.getElementById('idle-toggle').addEventListener('change', (e) => { state.showIdle = e.target.checked; void loadQueries(a.addon); });
  state.charts.clear();
}

const CHARTS = [
  ['cpu', 'CPU %', (p) => p.cpuPercent],
  ['memory', 'memory (MB)', (p) => (p.memoryBytes === null ? null : p.memoryBytes / 1048576)],
  ['connections', 'connections', (p) => p.connections],
  ['disk', 'on disk (MB)', (p) => (p.diskBytes === null ? null : p.diskBytes / 1048576)],
];

async function drawCharts(addon) {
  const h = await getJson(`/api/history?addon=${encodeURIComponent(addon)}`);
  const box = document.getElementById('charts');
  if (!box) return;
  box.dataset.points = String(h.points.length);
  const xs = h.points.map((p) => p.t);
  for (const [id, label, pick] of CHARTS) {
    const data = [xs, h.points.map(pick)];
    let chart = state.charts.get(id);
    if (!chart) {
      const el = document.createElement('div');
      el.className = 'chart';
      el.id = `chart-${id}`;
      box.appendChild(el);
      chart = new uPlot({ title: label, width: 420, height: 180, series: [{}, { label, stroke: '#3b6fd8', width: 2, spanGaps: true }], axes: [{}, { size: 60 }] }, data, el);
      state.charts.set(id, chart);
    } else chart.setData(data);
  }
}

async function loadQueries(addon) {
  const q = await getJson(`/api/queries?addon=${encodeURIComponent(addon)}${state.showIdle ? '&idle=1' : ''}`);
  const body = document.querySelector('#queries tbody');
  if (!body) return;
  body.innerHTML = q.sessions.map((s) => `<tr data-pid="${esc(s.pid)}" data-state="${esc(s.state)}"><td>${esc(s.pid)}</td><td>${esc(s.user)}</td><td>${esc(s.client ?? 'local')}</td>
    <td>${esc(s.state)}</td><td class="num">${s.durationSeconds === null ? '-' : `${s.durationSeconds} s`}</td><td>${esc(s.waitEvent)}</td><td class="query">${esc(s.query)}</td></tr>`).join('')
    || '<tr><td colspan="7" class="muted">no running queries</td></tr>';
}

const table = (id, head, rows, empty) => `<table id="${id}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
  <tbody>${rows.join('') || `<tr><td colspan="${head.length}" class="muted">${esc(empty)}</td></tr>`}</tbody></table>`;

// As `dbform backups list ADDON --format json` gives them: the logical backups, then the PITR window and its full base backups.
function backupsHtml(b) {
  const rows = b.backups.map((m) => `<tr data-backup="${esc(m.id)}"><td>${esc(m.id)}</td><td>${esc(when(m.started_at))}</td><td class="num">${bytes(m.size)}</td>
    <td>${esc(m.kind)}</td><td>${esc(m.status === 'ok' && !m.verified ? 'ok (unverified)' : m.status)}</td></tr>`);
  let html = table('backups', ['id', 'time', 'size', 'kind', 'status'], rows, 'no backups yet');
  if (!b.pitr) return html;
  const w = b.pitr.window;
  html += `<p id="pitr-window">Point-in-time recovery: ${w ? `any time from ${esc(when(w.earliest))} to ${esc(when(w.latest))}` : `no window yet (${esc(b.pitr.status)})`}</p>`;
  const base = b.pitr.base_backups.map((x) => `<tr data-base-backup="${esc(x.id)}"><td>${esc(x.id)}</td><td>${esc(x.type)}</td><td>${esc(when(x.started_at))}</td>
    <td>${esc(when(x.finished_at))}</td><td class="num">${bytes(x.size)}</td><td class="num">${bytes(x.stored_size)}</td><td>${esc(x.status)}</td></tr>`);
  return html + table('base-backups', ['base backup', 'type', 'started', 'finished', 'size', 'stored', 'status'], base, 'no base backup yet');
}

async function loadBackups(a) {
  if (!a.backups || Date.now() - state.backupsAt < BACKUPS_EVERY_MS) return;
  state.backupsAt = Date.now();
  const box = document.getElementById('backups-box');
  try {
    const b = await getJson(`/api/backups?addon=${encodeURIComponent(a.addon)}`);
    if (box) box.innerHTML = backupsHtml(b);
  } catch (e) {
    if (box) box.innerHTML = `<p class="bad">cannot list the backups: ${esc(e.message)}</p>`;
  }
}

// The plan of the dashboard's last drift check (`plan --format json`), this add-on's changes only.
async function loadPlan(addon) {
  const box = document.getElementById('plan-box');
  const r = await fetch('/api/plan');
  if (!box) return;
  if (r.status === 503) { box.innerHTML = '<p class="muted">not checked yet</p>'; return; }
  if (!r.ok) throw new Error(`/api/plan: ${r.status}`);
  const { checkedAt, error, plan } = await r.json();
  if (!plan) { box.innerHTML = `<p class="bad">the plan could not be computed (${esc(when(checkedAt))}): ${esc(error)}</p>`; return; }
  const rows = plan.changes.filter((c) => c.addon === addon).map((c) => `<tr data-address="${esc(c.address)}" data-action="${esc(c.action)}"><td><code>${esc(c.address)}</code></td>
    <td>${esc(c.action)}</td><td>${esc(c.reason)}</td><td>${c.hazards.map((h) => `<b>${esc(h.code)}</b>: ${esc(h.message)}`).join('<br>') || '-'}</td></tr>`);
  box.innerHTML = `<p class="muted" id="plan-checked" data-checked-at="${esc(checkedAt)}">checked ${esc(when(checkedAt))}</p>
    ${table('plan', ['address', 'action', 'reason', 'hazards'], rows, 'no changes: the add-on matches the file')}
    ${plan.hosts_not_read.map((h) => `<p class="bad">host ${esc(h.host)} was not read: ${esc(h.reason)}</p>`).join('')}`;
}

async function refresh() {
  try {
    state.status = await getJson('/api/status');
    document.getElementById('sampled').textContent = `sampled ${when(state.status.at)}`;
    const name = new URLSearchParams(location.hash.slice(1)).get('addon');
    const a = name && state.status.addons.find((x) => x.addon === name);
    if (!a) return fleetPage(state.status);
    if (document.body.dataset.page !== `addon:${a.addon}`) addonPage(a);
    else {
      document.querySelector('#figures tbody').innerHTML = figureRows(a);
      document.getElementById('drift').textContent = drift(a.drift);
    }
    document.body.dataset.page = `addon:${a.addon}`;
    await Promise.all([drawCharts(a.addon), loadQueries(a.addon), loadBackups(a), loadPlan(a.addon)]);
  } catch (e) {
    document.getElementById('sampled').textContent = `cannot refresh: ${e.message}`;
  }
}

window.addEventListener('hashchange', () => { document.body.dataset.page = ''; void refresh(); });
void refresh();
state.timer = setInterval(() => void refresh(), 5000);
