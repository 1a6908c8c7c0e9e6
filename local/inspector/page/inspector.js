// The inspector page: no build step, no framework. It lists deliveries (newest first) from
// /api/deliveries and keeps them live over /api/deliveries/stream, and the erasure ledger from
// /api/erasures, looked at again while any erasure is still open.
const $ = (id) => document.getElementById(id);
const rows = $('deliveries');
const deliveries = new Map();

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false }) + `.${iso.slice(20, 23)}`;
const cell = (text, className) => {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
};

function addRow(delivery, fresh) {
  deliveries.set(delivery.id, delivery);
  const tr = document.createElement('tr');
  tr.dataset.id = delivery.id;
  tr.dataset.testid = 'delivery';
  tr.append(
    cell(time(delivery.receivedAt)),
    cell(delivery.eventType ?? (delivery.method === 'POST' ? '—' : delivery.method)),
    cell(delivery.eventId ? delivery.eventId.slice(0, 8) : '', 'id'),
    cell(String(delivery.response.status), `status s${String(delivery.response.status)[0]}`),
    cell(delivery.durationMs.toFixed(1), 'number'),
    cell(delivery.todosDeleted === undefined ? '' : `${delivery.todosDeleted}${delivery.continued ? ' +queued' : ''}`, 'number'),
    cell(delivery.errorCode ?? (delivery.duplicate ? 'duplicate' : '')),
  );
  tr.querySelector('.status').dataset.testid = 'status';
  tr.children[1].dataset.testid = 'type';
  if (fresh) tr.classList.add('new');
  tr.addEventListener('click', () => showDetails(delivery.id));
  rows.prepend(tr);
  $('empty').hidden = true;
}

const pretty = (text) => {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};
const headerLines = (headers) => Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\n');

function showDetails(id) {
  const d = deliveries.get(id);
  $('details-title').textContent = `${d.method} ${d.eventType ?? ''} → ${d.response.status}${d.outcome ? ` (${d.outcome})` : ''}`;
  $('request-headers').textContent = headerLines(d.headers);
  $('request-body').textContent = pretty(d.body);
  $('response-headers').textContent = headerLines(d.response.headers);
  $('response-body').textContent = pretty(d.response.body);
  $('details').showModal();
}

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json();
  if (!response.ok) throw new Error(json.error ?? response.statusText);
  return json;
}

async function refreshTodos() {
  const userId = $('user-id').value.trim();
  $('todo-count').textContent = userId ? String((await api(`/api/todos/${encodeURIComponent(userId)}`)).count) : '–';
}

const OPEN = new Set(['requested', 'confirmed', 'erasing']);
let erasureTimer;

async function refreshErasures() {
  clearTimeout(erasureTimer);
  const { erasures } = await api('/api/erasures');
  const body = $('erasures');
  body.replaceChildren(
    ...erasures.map((e) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'erasure';
      tr.append(
        cell(e.userId, 'id'),
        cell(e.scope),
        cell(e.state, `state ${e.state}`),
        cell(e.confirmedBy ?? ''),
        cell(String(e.todosDeleted), 'number'),
        cell(time(new Date(e.requestedAt).toISOString())),
        cell(e.reason ?? e.lastCheck ?? ''),
      );
      tr.children[2].dataset.testid = 'erasure-state';
      return tr;
    }),
  );
  $('no-erasures').hidden = erasures.length > 0;
  if (erasures.some((e) => OPEN.has(e.state))) erasureTimer = setTimeout(refreshErasures, 1000);
}

async function start() {
  const { examples } = await api('/api/examples');
  for (const example of examples) {
    const option = new Option(`${example.type} — ${example.name}`, example.name);
    option.dataset.userId = example.userId ?? '';
    $('example').append(option);
  }
  const pickExample = () => {
    $('user-id').value = $('example').selectedOptions[0]?.dataset.userId ?? '';
    refreshTodos();
  };
  $('example').addEventListener('change', pickExample);
  $('example').value = examples.some((e) => e.name === 'user.delete.json') ? 'user.delete.json' : examples[0]?.name;
  pickExample();

  $('user-id').addEventListener('change', refreshTodos);
  $('refresh-todos').addEventListener('click', refreshTodos);
  $('add-todos').addEventListener('click', async () => {
    const userId = $('user-id').value.trim();
    if (userId) $('todo-count').textContent = String((await api(`/api/todos/${encodeURIComponent(userId)}`, { count: 5 })).count);
  });
  $('delete-user').addEventListener('click', async () => {
    const userId = $('user-id').value.trim();
    if (!userId) return;
    $('send-result').value = 'deleting…';
    try {
      const results = await api('/api/delete-user', { userId });
      $('send-result').value = results.map((result) => `${result.status} ${result.body}`).join(' → ');
    } catch (error) {
      $('send-result').value = `could not delete: ${error.message}`;
    }
    await Promise.all([refreshTodos(), refreshErasures()]);
  });
  $('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('send-result').value = 'sending…';
    try {
      const result = await api('/api/send', { example: $('example').value, userId: $('user-id').value.trim() });
      $('send-result').value = `${result.status} ${result.body}`;
    } catch (error) {
      $('send-result').value = `could not send: ${error.message}`;
    }
    await refreshTodos();
  });

  for (const delivery of (await api('/api/deliveries')).deliveries.slice().reverse()) addRow(delivery, false);
  const stream = new EventSource('/api/deliveries/stream');
  stream.onopen = () => {
    $('connection').textContent = 'live';
    $('connection').className = 'live';
  };
  stream.onerror = () => {
    $('connection').textContent = 'reconnecting…';
    $('connection').className = '';
  };
  stream.onmessage = (message) => {
    const delivery = JSON.parse(message.data);
    if (!deliveries.has(delivery.id)) addRow(delivery, true);
    refreshTodos();
    refreshErasures();
  };
  await refreshErasures();
}

start();
