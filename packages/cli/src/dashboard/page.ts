/**
 * The dashboard page: one self-contained HTML document (inline CSS and JS, no build step, nothing
 * fetched from elsewhere). It opens an EventSource on `/events`, receives a `snapshot` of every
 * service and then one `service` / `removed` / `status` event per change, and renders with DOM
 * APIs only (`textContent`, `setAttribute`): registry data is untrusted and never parsed as HTML.
 * The inline script and style carry a per-response nonce that the Content-Security-Policy requires.
 */
export function renderPage(options: { nonce: string; title: string }): string {
  const nonce = escapeHtml(options.nonce);
  const pageTitle = options.title ? `switchyard · ${options.title}` : 'switchyard';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(pageTitle)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <h1>switchyard</h1>
  <span id="registry" class="muted">${escapeHtml(options.title)}</span>
  <span id="summary" class="muted"></span>
  <span id="connection" class="pill pill-wait">connecting…</span>
</header>
<div id="banner" class="banner" hidden></div>
<main id="services"><p class="muted">Waiting for the first snapshot…</p></main>
<footer class="muted">Live from registry watches. Age: since registration (Redis clock). Expires in: time left on the lease; it resets at every heartbeat.</footer>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #1c2330; --muted: #6b7280; --line: #e3e6ea;
  --up: #1a7f37; --up-bg: #dcfce7; --drain: #9a6700; --drain-bg: #fff4d6; --stale: #6b7280; --bad: #b42318; --bad-bg: #fee4e2; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1419; --card: #171d24; --text: #e6e9ed; --muted: #9aa4b2; --line: #2a323c;
  --up: #4ade80; --up-bg: #0f2e1a; --drain: #fbbf24; --drain-bg: #33270a; --bad: #f87171; --bad-bg: #3a1414; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--text); }
header { display: flex; gap: 16px; align-items: baseline; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--card); flex-wrap: wrap; }
h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
main { padding: 16px 24px; display: grid; gap: 16px; }
footer { padding: 0 24px 24px; font-size: 12px; }
.muted { color: var(--muted); }
.banner { margin: 12px 24px 0; padding: 10px 14px; border-radius: 6px; background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.card-head { display: flex; gap: 10px; align-items: center; padding: 10px 14px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.card-head h2 { font-size: 15px; margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.card.stale { opacity: .72; background-image: repeating-linear-gradient(135deg, transparent 0 12px, rgba(127,127,127,.08) 12px 24px); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 14px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
tr.status-draining td { background: var(--drain-bg); }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.pill-up { color: var(--up); background: var(--up-bg); }
.pill-draining { color: var(--drain); background: var(--drain-bg); border-color: var(--drain); }
.pill-stale { color: #fff; background: var(--stale); }
.pill-route { color: var(--text); border-color: var(--line); }
.pill-canary { color: var(--drain); border-color: var(--drain); }
.pill-canary-rolled-back { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
.pill-canary-complete { color: var(--up); border-color: var(--up); }
.pill-wait { color: var(--muted); border-color: var(--line); }
.pill-live { color: var(--up); background: var(--up-bg); }
.pill-down { color: var(--bad); background: var(--bad-bg); }
.soon { color: var(--bad); font-weight: 600; }
.empty { padding: 10px 14px; }
`;

// Plain ES2020 that runs as-is in the browser. No innerHTML anywhere: text goes through textContent.
const SCRIPT = `
'use strict';
const state = { services: new Map(), registryError: null, connected: false };
const byId = (id) => document.getElementById(id);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function duration(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return '-';
  if (ms < 1000) return Math.max(0, Math.round(ms)) + 'ms';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm' + String(s % 60).padStart(2, '0') + 's';
  const h = Math.floor(m / 60);
  if (h < 24) return h + 'h' + String(m % 60).padStart(2, '0') + 'm';
  return Math.floor(h / 24) + 'd' + String(h % 24).padStart(2, '0') + 'h';
}

function address(instance) {
  const host = instance.host.includes(':') && !instance.host.startsWith('[') ? '[' + instance.host + ']' : instance.host;
  const ports = Object.entries(instance.ports || {}).map(([name, port]) => port + '/' + name);
  return ports.length ? host + ':' + ports.join(',') : host;
}

function receive(view) {
  view.receivedAt = performance.now();
  state.services.set(view.service, view);
}

function timeCells(view, instance) {
  const elapsed = performance.now() - view.receivedAt;
  const age = instance.ageMs === null ? null : instance.ageMs + elapsed;
  const expires = instance.expiresInMs === null || view.stale ? null : Math.max(0, instance.expiresInMs - elapsed);
  const heartbeat = instance.lastHeartbeatAgoMs === null || view.stale ? null : instance.lastHeartbeatAgoMs + elapsed;
  return {
    age: duration(age),
    heartbeat: heartbeat === null ? '-' : duration(heartbeat) + ' ago',
    expires: duration(expires),
    soon: expires !== null && expires < 2000,
  };
}

// The canary record (where the service's canary release stands): what, at what share, in what
// state and why, in the pill; who holds it, until when, and its revision in its tooltip.
function canaryPill(canary) {
  const reason = canary.reason ? ' (' + (canary.reason.length > 120 ? canary.reason.slice(0, 120) + '…' : canary.reason) + ')' : '';
  const hold = canary.ownerLeaseMs > 0 ? 'holds it ' + duration(canary.ownerLeaseMs) + ' more' : 'no hold';
  const title = 'owner ' + canary.owner + ' (' + hold + '), updated ' + new Date(canary.updatedAt).toISOString() +
    ', revision ' + canary.revision + (canary.reason ? '; reason: ' + canary.reason : '');
  return el('span', { class: 'pill pill-canary pill-canary-' + canary.state, 'data-canary': canary.state, title },
    'canary ' + canary.canary + ' vs ' + canary.stable + ' ' + canary.percent + '% ' + canary.state + reason);
}

function renderService(view) {
  const up = view.instances.filter((i) => i.status === 'up').length;
  const draining = view.instances.length - up;
  const head = el('div', { class: 'card-head' },
    el('h2', {}, view.service),
    el('span', { class: 'pill pill-up' }, up + ' up'),
    draining ? el('span', { class: 'pill pill-draining' }, draining + ' draining') : null,
    view.stale ? el('span', { class: 'pill pill-stale', title: 'registry unreachable: last known view' }, 'STALE') : null,
    view.route ? el('span', { class: 'pill pill-route' }, 'route ' +
      Object.entries(view.route.splits).map(([v, p]) => v + '=' + p + '%').join(' ')) : null,
    view.canary ? canaryPill(view.canary) : null);
  const card = el('section', { class: 'card' + (view.stale ? ' stale' : ''), 'data-service': view.service }, head);
  if (view.instances.length === 0) {
    card.append(el('p', { class: 'empty muted' }, 'no live instances'));
    return card;
  }
  const headers = ['id', 'status', 'zone', 'weight', 'version', 'address', 'age', 'heartbeat', 'expires in'];
  const table = el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const instance of view.instances) {
    const times = timeCells(view, instance);
    body.append(el('tr', { class: 'status-' + instance.status, 'data-instance-id': instance.id, 'data-status': instance.status },
      el('td', { class: 'mono' }, instance.id),
      el('td', {}, el('span', { class: 'pill pill-' + (instance.status === 'draining' ? 'draining' : 'up') },
        instance.status === 'draining' ? 'DRAINING' : 'up')),
      el('td', {}, instance.zone || '-'),
      el('td', {}, instance.weight),
      el('td', { class: 'mono' }, instance.version || '-'),
      el('td', { class: 'mono' }, address(instance)),
      el('td', { 'data-age': '' }, times.age),
      el('td', { 'data-heartbeat': '' }, times.heartbeat),
      el('td', { 'data-expires': '', class: times.soon ? 'soon' : null }, times.expires)));
  }
  table.append(body);
  card.append(table);
  return card;
}

function render() {
  const views = [...state.services.values()].sort((a, b) => (a.service < b.service ? -1 : 1));
  const main = byId('services');
  main.replaceChildren(...(views.length ? views.map(renderService) : [el('p', { class: 'muted' }, 'No live services.')]));
  const instances = views.reduce((n, v) => n + v.instances.length, 0);
  const draining = views.reduce((n, v) => n + v.instances.filter((i) => i.status === 'draining').length, 0);
  const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');
  byId('summary').textContent = plural(views.length, 'service') + ' · ' + plural(instances, 'instance') + (draining ? ' · ' + draining + ' draining' : '');
  const stale = views.some((v) => v.stale);
  const banner = byId('banner');
  const problem = !state.connected ? 'Disconnected from the dashboard server; reconnecting…'
    : state.registryError ? 'Registry unreachable: ' + state.registryError + ' (showing the last known view)'
    : stale ? 'Registry unreachable: showing the last known view' : '';
  banner.textContent = problem;
  banner.hidden = !problem;
}

function tick() {
  for (const row of document.querySelectorAll('tr[data-instance-id]')) {
    const card = row.closest('[data-service]');
    const view = card && state.services.get(card.getAttribute('data-service'));
    const instance = view && view.instances.find((i) => i.id === row.getAttribute('data-instance-id'));
    if (!instance) continue;
    const times = timeCells(view, instance);
    row.querySelector('[data-age]').textContent = times.age;
    row.querySelector('[data-heartbeat]').textContent = times.heartbeat;
    const expires = row.querySelector('[data-expires]');
    expires.textContent = times.expires;
    expires.classList.toggle('soon', times.soon);
  }
}

function setConnected(connected) {
  state.connected = connected;
  const pill = byId('connection');
  pill.textContent = connected ? 'live' : 'reconnecting…';
  pill.className = 'pill ' + (connected ? 'pill-live' : 'pill-down');
  render();
}

const events = new EventSource('events');
events.addEventListener('open', () => setConnected(true));
events.addEventListener('error', () => setConnected(false));
events.addEventListener('snapshot', (event) => {
  const data = JSON.parse(event.data);
  state.services.clear();
  for (const view of data.services) receive(view);
  state.registryError = data.registryError;
  state.connected = true;
  setConnected(true);
});
events.addEventListener('service', (event) => { receive(JSON.parse(event.data)); render(); });
events.addEventListener('removed', (event) => { state.services.delete(JSON.parse(event.data).service); render(); });
events.addEventListener('status', (event) => { state.registryError = JSON.parse(event.data).registryError; render(); });
setInterval(tick, 1000);
`;
