'use strict';
// The IPC inspector. Every value from main is shown with textContent: nothing is ever parsed as HTML.
(function () {
  const MAX_ROWS = 500;
  const $ = (id) => document.getElementById(id);
  let source = null;
  let paused = false;
  let selected = null;

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error && body.error.code + ': ' + body.error.message) || response.status);
    return body;
  }

  function status(text) { $('status').textContent = text; }

  // ---- panes
  document.querySelectorAll('nav button').forEach((b) => b.addEventListener('click', () => {
    document.querySelectorAll('nav button').forEach((x) => x.classList.toggle('active', x === b));
    document.querySelectorAll('.pane').forEach((p) => p.classList.toggle('active', p.id === 'pane-' + b.dataset.pane));
    refresh(b.dataset.pane);
  }));

  function refresh(pane) {
    if (pane === 'renderers') loadRenderers();
    if (pane === 'state') loadState();
    if (pane === 'settings') loadSettings();
    if (pane === 'profiler') loadStats();
  }

  // ---- monitor
  function filterQuery() {
    const q = new URLSearchParams();
    const channel = $('filter-channel').value.trim();
    const renderer = $('filter-renderer').value.trim();
    const type = $('filter-type').value;
    if (channel) q.set('channel', channel);
    if (renderer) q.set('renderer', renderer);
    if (type) q.set('type', type);
    return q.toString();
  }

  function connect() {
    if (source) source.close();
    const tbody = $('messages').tBodies[0];
    tbody.replaceChildren();
    const query = filterQuery();
    source = new EventSource('/api/feed' + (query ? '?' + query : ''));
    source.addEventListener('ready', () => {
      status('live' + (query ? ' · ' + query : ''));
      api('/api/messages?limit=200' + (query ? '&' + query : '')).then((list) => list.forEach(addRow)).catch(() => {});
    });
    source.addEventListener('message', (e) => { if (!paused) addRow(JSON.parse(e.data)); });
    source.onerror = () => status('disconnected, retrying…');
  }

  function addRow(m) {
    const tbody = $('messages').tBodies[0];
    if (tbody.querySelector('tr[data-seq="' + Number(m.seq) + '"]')) return;
    const tr = el('tr', null, 'dir-' + m.direction + ' type-' + m.type);
    tr.dataset.seq = String(Number(m.seq));
    tr.dataset.channel = m.channel;
    [m.seq, new Date(m.at).toISOString().substring(11, 23), m.direction === 'in' ? '→ main' : '← main', m.renderer,
      m.type, m.channel, m.size, m.latencyMs !== undefined ? m.latencyMs.toFixed(2) + ' ms' : '']
      .forEach((v) => tr.appendChild(el('td', v)));
    tr.addEventListener('click', () => showDetail(m.seq, tr));
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(tbody.rows.length - 1);
  }

  function describe(title, m) {
    const box = el('div');
    box.appendChild(el('h3', title + ' #' + m.seq + ' · ' + m.type + ' ' + m.channel));
    box.appendChild(el('p', (m.direction === 'in' ? 'from ' : 'to ') + m.renderer + ' · id ' + m.id
      + (m.inReplyTo ? ' · in reply to ' + m.inReplyTo : '') + ' · ' + m.size + ' bytes'
      + (m.latencyMs !== undefined ? ' · latency ' + m.latencyMs.toFixed(3) + ' ms' : '')));
    box.appendChild(el('pre', m.preview));
    return box;
  }

  async function showDetail(seq, tr) {
    if (selected) selected.classList.remove('selected');
    selected = tr; tr.classList.add('selected');
    const detail = $('detail');
    try {
      const m = await api('/api/messages/' + Number(seq));
      detail.replaceChildren(describe('Message', m));
      if (m.reply) detail.appendChild(describe('Reply', m.reply));
      if (m.request) detail.appendChild(describe('Request', m.request));
      if (!m.reply && !m.request && m.type === 'COMMAND') detail.appendChild(el('p', 'No reply seen (yet).', 'hint'));
    } catch (e) {
      detail.replaceChildren(el('p', String(e.message), 'hint'));
    }
  }

  $('filters').addEventListener('submit', (e) => { e.preventDefault(); connect(); });
  $('pause').addEventListener('click', () => { paused = !paused; $('pause').textContent = paused ? 'Resume' : 'Pause'; });
  $('clear').addEventListener('click', () => $('messages').tBodies[0].replaceChildren());

  // ---- renderers
  async function loadRenderers() {
    const tbody = $('renderers').tBodies[0];
    try {
      const list = await api('/api/renderers');
      tbody.replaceChildren();
      list.renderers.forEach((r) => {
        const tr = el('tr');
        const known = (v) => v !== null && v !== undefined;
        [r.rendererId, r.pid, known(r.capability) ? r.capability : '', r.status, r.restarts,
          known(r.lastMessageAgeMs) ? (r.lastMessageAgeMs / 1000).toFixed(1) + ' s ago' : '',
          known(r.heartbeatAgeMillis) ? (r.heartbeatAgeMillis / 1000).toFixed(1) + ' s ago' : '',
          known(r.queueDepth) ? r.queueDepth : '',
          known(r.dropped) ? r.dropped : '',
          known(r.rssBytes) ? (r.rssBytes / 1048576).toFixed(0) + ' MiB' : '']
          .forEach((v) => tr.appendChild(el('td', v)));
        if (r.queueDepth > 0 && r.dropped > 0) tr.className = 'behind';
        const td = el('td');
        // The spare renderer has no id of its own to restart: it becomes the next launched renderer.
        if (known(r.pid) && r.status !== 'spare') {
          const button = el('button', 'Restart');
          button.className = 'restart';
          button.addEventListener('click', () => restart(r.rendererId, button));
          td.appendChild(button);
        }
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
    } catch (e) { status(String(e.message)); }
  }

  async function restart(id, button) {
    button.disabled = true;
    try {
      await api('/api/renderers/' + encodeURIComponent(id) + '/restart', { method: 'POST', headers: { 'X-Inspector': '1' } });
      status('restarted ' + id);
    } catch (e) { status('restart failed: ' + e.message); }
    loadRenderers();
  }
  $('refresh-renderers').addEventListener('click', loadRenderers);

  // ---- state and settings
  async function loadState() {
    try {
      const s = await api('/api/state');
      $('state-version').textContent = String(s.version);
      $('state-tree').textContent = JSON.stringify(s.state, null, 2);
    } catch (e) { status(String(e.message)); }
  }
  $('refresh-state').addEventListener('click', loadState);

  async function loadSettings() {
    try { $('settings').textContent = JSON.stringify(await api('/api/settings'), null, 2); } catch (e) { status(String(e.message)); }
  }
  $('refresh-settings').addEventListener('click', loadSettings);

  // ---- profiler
  async function loadStats() {
    try {
      const s = await api('/api/stats');
      const errors = (map) => Object.entries(map).map(([k, v]) => k + ' ' + v).join(', ');
      $('stats-uptime').textContent = 'uptime ' + (s.uptimeMs / 1000).toFixed(0) + ' s · window ' + s.windowSeconds + ' s · slow > ' + s.slowThresholdMs + ' ms'
        + ' · dropped by the edge transport: ' + (Object.keys(s.transportDrops || {}).length ? errors(s.transportDrops) : 'none');
      const tbody = $('stats').tBodies[0];
      tbody.replaceChildren();
      s.channels.forEach((c) => {
        const w = c.window, t = c.sinceStart, tr = el('tr');
        [c.channel, w.messages, w.perSecond.toFixed(2), w.p50Ms.toFixed(2), w.p90Ms.toFixed(2), w.p99Ms.toFixed(2),
          w.maxMs.toFixed(2), errors(w.errors), t.messages, t.p99Ms.toFixed(2), errors(t.errors)]
          .forEach((v) => tr.appendChild(el('td', v)));
        tbody.appendChild(tr);
      });
      drawChart(s.channels.filter((c) => c.window.replies > 0));
    } catch (e) { status(String(e.message)); }
  }
  $('refresh-stats').addEventListener('click', loadStats);

  function drawChart(channels) {
    const svg = $('chart'), NS = 'http://www.w3.org/2000/svg';
    svg.replaceChildren();
    const width = 720, height = 220, left = 120, barH = 14;
    const max = Math.max(1, ...channels.map((c) => c.window.p99Ms));
    svg.setAttribute('height', String(Math.max(40, channels.length * (2 * barH + 6) + 10)));
    channels.forEach((c, i) => {
      const y = 5 + i * (2 * barH + 6);
      const label = document.createElementNS(NS, 'text');
      label.setAttribute('x', '0'); label.setAttribute('y', String(y + barH));
      label.textContent = c.channel;
      svg.appendChild(label);
      [['p50', c.window.p50Ms, '#4fc3f7'], ['p99', c.window.p99Ms, '#0277bd']].forEach(([name, v, color], j) => {
        const rect = document.createElementNS(NS, 'rect');
        rect.setAttribute('x', String(left)); rect.setAttribute('y', String(y + j * barH));
        rect.setAttribute('width', String(Math.max(1, (width - left - 80) * v / max))); rect.setAttribute('height', String(barH - 2));
        rect.setAttribute('fill', color);
        svg.appendChild(rect);
        const t = document.createElementNS(NS, 'text');
        t.setAttribute('x', String(left + 4 + (width - left - 80) * v / max)); t.setAttribute('y', String(y + j * barH + barH - 4));
        t.textContent = name + ' ' + v.toFixed(2);
        svg.appendChild(t);
      });
    });
    if (height && channels.length === 0) {
      const t = document.createElementNS(NS, 'text');
      t.setAttribute('x', '0'); t.setAttribute('y', '20'); t.textContent = 'No replies in the last minute.';
      svg.appendChild(t);
    }
  }

  connect();
})();
