// The m2m-auth console: a page of the admin listener that reads and changes the server through
// its admin API (/admin/v1) with an admin access token. Plain DOM, no framework, no dependency:
// every text is set with textContent (never parsed as HTML), and the token lives in this tab's
// sessionStorage only, never in a URL.

const API = '/admin/v1';
const TOKEN_KEY = 'm2m-auth-console-token';
/** How often the graph is read again while it is shown, milliseconds. */
const GRAPH_REFRESH_MS = 5000;
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
let refreshTimer;
/** Bumped on every navigation, so an answer for a page no longer shown is dropped. */
let generation = 0;

// ---- token ---------------------------------------------------------------------------------

function readToken() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    if (stored && typeof stored.token === 'string' && stored.expiresAtMs > Date.now()) {
      return stored.token;
    }
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(TOKEN_KEY);
  return undefined;
}

function storeToken(token) {
  // The expiry is read from the token only to know when to ask again; the server verifies it.
  let expiresAtMs = Date.now() + 15 * 60 * 1000;
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replaceAll('-', '+').replaceAll('_', '/')));
    if (typeof payload.exp === 'number') expiresAtMs = payload.exp * 1000;
  } catch {
    // Not a JWT: the admin API will say so at the first request.
  }
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token, expiresAtMs }));
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = '#/graph';
  render();
  if (message) say(message);
}

// ---- HTTP ----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error_description ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function api(method, path, body) {
  const token = readToken();
  if (token === undefined) {
    signOut('Your session ended: sign in again.');
    throw new ApiError(401, { error_description: 'not signed in' });
  }
  const res = await fetch(API + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  const json = await res.json().catch(() => undefined);
  if (res.status === 401) {
    signOut('The admin API refused the token (expired or revoked): sign in again.');
    throw new ApiError(401, json);
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// ---- DOM helpers ---------------------------------------------------------------------------

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

function table(caption, headers, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'muted' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length }, 'None.'))
        : rows.map((cells) =>
            h(
              'tr',
              {},
              cells.map((cell) => h('td', {}, cell)),
            ),
          ),
    ),
  );
}

function badge(text, kind) {
  return h('span', { class: `badge ${kind}` }, text);
}

/** Unix seconds, milliseconds or an ISO string → "2026-12-04 21:07:03 UTC"; null → "—". */
function when(value, unit = 'sec') {
  if (value === null || value === undefined) return '—';
  const date =
    typeof value === 'string' ? new Date(value) : new Date(unit === 'sec' ? value * 1000 : value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function list(values) {
  return values.length === 0 ? '(none)' : values.join(', ');
}

function say(text) {
  $('status').textContent = text;
}

/** Set by a navigation: the next page heading takes the focus, so a screen reader reads it. */
let focusHeading = false;

function setPage(title, ...content) {
  const heading = h('h1', { tabindex: '-1', id: 'page-title' }, title);
  // A page drawn in two steps (loading, then loaded) keeps the focus on its heading.
  const refocus = focusHeading || document.activeElement?.id === 'page-title';
  focusHeading = false;
  $('page').replaceChildren(heading, ...content);
  document.title = `${title} — m2m-auth console`;
  if (refocus) heading.focus();
  return heading;
}

function failure(err) {
  if (err instanceof ApiError && err.status === 403) {
    return h(
      'p',
      { class: 'error' },
      `Your admin token lacks the scope this page needs (${err.code ?? 'forbidden'}).`,
    );
  }
  return h('p', { class: 'error' }, `Could not load: ${err.message}`);
}

// ---- dialogs -------------------------------------------------------------------------------

/** A modal question; resolves true when the operator confirms. Escape or Cancel is a no. */
function confirmAction(title, text, confirmLabel) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = confirmLabel;
  dialog.returnValue = '';
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const onClose = () => {
      // The close event is queued: one left over from an earlier opening must not answer this one.
      if (dialog.open) return;
      dialog.removeEventListener('close', onClose);
      opener?.focus?.();
      resolve(dialog.returnValue === 'confirm');
    };
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    // The safe choice has the focus: Enter on an open dialog does not revoke anything.
    $('confirm-cancel').focus();
  });
}

/** Shows a new secret once; resolves when the operator closes the dialog. */
function showSecret(clientId, secret) {
  const dialog = $('secret');
  $('secret-client-id').value = clientId;
  $('secret-value').value = secret;
  return new Promise((resolve) => {
    const onClose = () => {
      if (dialog.open) return;
      dialog.removeEventListener('close', onClose);
      // The secret leaves the page as soon as the dialog closes.
      $('secret-value').value = '';
      $('secret-client-id').value = '';
      resolve();
    };
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    $('secret-value').select();
  });
}

// ---- pages ---------------------------------------------------------------------------------

const PERIODS = [
  ['3600', 'last hour'],
  ['86400', 'last 24 hours'],
  ['604800', 'last 7 days'],
  ['2592000', 'last 30 days'],
];
let graphPeriod = '3600';
let graphPaused = false;

async function graphPage(gen) {
  const holder = h('div', { id: 'graph-holder' });
  const updated = h('p', { class: 'muted', id: 'graph-updated' });
  const pause = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      id: 'graph-pause',
      'aria-pressed': String(graphPaused),
      onclick: () => {
        graphPaused = !graphPaused;
        pause.setAttribute('aria-pressed', String(graphPaused));
        pause.textContent = graphPaused ? 'Resume refresh' : 'Pause refresh';
        if (!graphPaused) void load();
      },
    },
    graphPaused ? 'Resume refresh' : 'Pause refresh',
  );
  const period = h(
    'select',
    {
      id: 'graph-period',
      onchange: () => {
        graphPeriod = period.value;
        void load();
      },
    },
    PERIODS.map(([value, label]) => h('option', { value, selected: value === graphPeriod }, label)),
  );
  setPage(
    'Service graph',
    h(
      'p',
      {},
      'Who called whom: each arrow is a client getting tokens for an audience, from the audit table (serve --audit-store). It refreshes every few seconds.',
    ),
    h(
      'div',
      { class: 'graph-tools' },
      h('form', {}, h('label', { for: 'graph-period' }, 'Period'), period),
      pause,
    ),
    legend(),
    holder,
    updated,
  );
  let lastShape;
  async function load() {
    try {
      const graph = await api('GET', `/audit/graph?since_sec=${graphPeriod}`);
      if (gen !== generation) return;
      // Redrawn only when the calls changed, and the focus stays on the node that had it.
      const shape = JSON.stringify([graph.nodes, graph.edges, graph.unattributed_refusals]);
      if (shape !== lastShape) {
        lastShape = shape;
        const focusedHref = holder.contains(document.activeElement)
          ? document.activeElement.getAttribute('href')
          : null;
        holder.replaceChildren(...renderGraph(graph));
        if (focusedHref !== null) {
          for (const link of holder.querySelectorAll('a')) {
            if (link.getAttribute('href') === focusedHref) link.focus();
          }
        }
      }
      updated.textContent = `Updated ${when(Date.now(), 'ms')}: ${graph.totals.issued} tokens issued, ${graph.totals.refused} requests refused in the period.`;
    } catch (err) {
      if (gen === generation) holder.replaceChildren(failure(err));
    }
  }
  await load();
  clearInterval(refreshTimer);
  refreshTimer = setInterval(() => {
    if (!graphPaused && gen === generation && !document.hidden) void load();
  }, GRAPH_REFRESH_MS);
}

function legend() {
  const sample = (kind) =>
    svg(
      'svg',
      { width: 44, height: 12, 'aria-hidden': 'true', class: kind },
      svg('line', { x1: 2, y1: 6, x2: 42, y2: 6 }),
    );
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    h('li', { class: 'ok' }, sample('ok'), ' solid: every request got its token'),
    h(
      'li',
      { class: 'refused' },
      sample('refused'),
      ' dashed, "✕ N refused": some requests were refused',
    ),
    h('li', {}, 'dashed circle: a revoked client'),
  );
}

/**
 * Layers: a service's column is the length of the longest chain of calls that reaches it, so
 * callers stand left of the services they call (a cycle is cut after as many rounds as nodes).
 */
function layout(graph) {
  const depth = new Map(graph.nodes.map((node) => [node.id, 0]));
  for (let round = 0; round < graph.nodes.length; round += 1) {
    let changed = false;
    for (const edge of graph.edges) {
      if (edge.from === edge.to) continue;
      const next = (depth.get(edge.from) ?? 0) + 1;
      if (next > (depth.get(edge.to) ?? 0) && next < graph.nodes.length) {
        depth.set(edge.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const columns = [];
  for (const node of graph.nodes) {
    const column = depth.get(node.id) ?? 0;
    if (columns[column] === undefined) columns[column] = [];
    columns[column].push(node);
  }
  const filled = columns.filter((column) => column !== undefined);
  // Fewer crossings: each column after the first is ordered by the mean row of its callers.
  const row = new Map();
  filled.forEach((column, x) => {
    if (x > 0) {
      const mean = (node) => {
        const rows = graph.edges
          .filter((edge) => edge.to === node.id && row.has(edge.from))
          .map((edge) => row.get(edge.from));
        return rows.length === 0
          ? Number.MAX_SAFE_INTEGER
          : rows.reduce((a, b) => a + b, 0) / rows.length;
      };
      const means = new Map(column.map((node) => [node.id, mean(node)]));
      column.sort((a, b) => means.get(a.id) - means.get(b.id) || (a.id < b.id ? -1 : 1));
    }
    for (const [y, node] of column.entries()) row.set(node.id, y);
  });
  const rows = Math.max(1, ...filled.map((column) => column.length));
  const width = Math.max(900, filled.length * 340);
  const height = Math.max(260, rows * 100 + 60);
  const positions = new Map();
  filled.forEach((column, x) => {
    column.forEach((node, y) => {
      positions.set(node.id, {
        x: 110 + x * ((width - 220) / Math.max(1, filled.length - 1)),
        y: (height / (column.length + 1)) * (y + 1),
      });
    });
  });
  if (filled.length === 1) for (const p of positions.values()) p.x = width / 2;
  return { width, height, positions };
}

const NODE_RADIUS = 30;

function renderGraph(graph) {
  if (graph.nodes.length === 0) {
    return [
      h(
        'p',
        { class: 'notice' },
        'No calls in this period. Is the server running with --audit-store?',
      ),
    ];
  }
  const { width, height, positions } = layout(graph);
  const marker = (id) =>
    svg(
      'marker',
      {
        id,
        viewBox: '0 0 10 10',
        refX: 10,
        refY: 5,
        markerWidth: 8,
        markerHeight: 8,
        orient: 'auto-start-reverse',
      },
      svg('path', {
        d: 'M 0 0 L 10 5 L 0 10 z',
        class: `arrow-head${id === 'arrow-refused' ? ' refused' : ''}`,
      }),
    );
  const edges = graph.edges.map((edge) => {
    const a = positions.get(edge.from);
    const b = positions.get(edge.to);
    let d;
    let label;
    if (edge.from === edge.to) {
      // A service calling itself (e.g. the admin client calling the admin API): a loop above it.
      const top = a.y - NODE_RADIUS;
      d = `M ${a.x - 12} ${top + 2} C ${a.x - 45} ${top - 55}, ${a.x + 45} ${top - 55}, ${a.x + 12} ${top + 1}`;
      label = { x: a.x, y: top - 50 };
    } else {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const length = Math.hypot(dx, dy) || 1;
      const [ux, uy] = [dx / length, dy / length];
      const start = { x: a.x + ux * NODE_RADIUS, y: a.y + uy * NODE_RADIUS };
      const end = { x: b.x - ux * (NODE_RADIUS + 2), y: b.y - uy * (NODE_RADIUS + 2) };
      // A slight bend, so that calls both ways between two services do not overlap.
      const bend = 18;
      const control = {
        x: (start.x + end.x) / 2 - uy * bend,
        y: (start.y + end.y) / 2 + ux * bend,
      };
      d = `M ${start.x} ${start.y} Q ${control.x} ${control.y} ${end.x} ${end.y}`;
      // The label sits at t = 0.7 of the curve, nearer the callee, where fanned-out calls are apart.
      const t = 0.7;
      label = {
        x: (1 - t) ** 2 * start.x + 2 * (1 - t) * t * control.x + t ** 2 * end.x,
        y: (1 - t) ** 2 * start.y + 2 * (1 - t) * t * control.y + t ** 2 * end.y,
      };
    }
    const refused = edge.refusals > 0;
    const reasons = edge.refusal_reasons.map((r) => `${r.reason} ×${r.count}`).join(', ');
    const scopes = edge.scopes.map((s) => s.scope).join(' ');
    const description = `${edge.from} calls ${edge.to}: ${edge.tokens} tokens${scopes ? ` (${scopes})` : ''}${refused ? `, ${edge.refusals} refused (${reasons})` : ''}`;
    return svg(
      'g',
      {
        class: `edge${refused ? ' refused' : ''}${refused && edge.tokens === 0 ? ' only-refused' : ''}`,
        'data-from': edge.from,
        'data-to': edge.to,
      },
      svg('title', {}, description),
      svg('path', {
        d,
        'marker-end': `url(#${refused ? 'arrow-refused' : 'arrow'})`,
      }),
      svg(
        'text',
        { x: label.x, y: label.y - 4, 'text-anchor': 'middle' },
        `${edge.tokens} token${edge.tokens === 1 ? '' : 's'}`,
      ),
      refused
        ? svg(
            'text',
            { x: label.x, y: label.y + 12, 'text-anchor': 'middle', class: 'refusals' },
            `✕ ${edge.refusals} refused`,
          )
        : undefined,
    );
  });
  const nodes = graph.nodes.map((node) => {
    const p = positions.get(node.id);
    const shape = [
      svg('circle', { cx: p.x, cy: p.y, r: NODE_RADIUS }),
      svg(
        'text',
        { x: p.x, y: p.y + NODE_RADIUS + 16, 'text-anchor': 'middle' },
        node.revoked ? `${node.id} (revoked)` : node.id,
      ),
    ];
    const target = node.client_id ?? node.id;
    return svg(
      'g',
      { class: `node${node.revoked ? ' revoked' : ''}`, 'data-id': node.id },
      node.registered
        ? svg(
            'a',
            {
              href: `#/clients/${encodeURIComponent(target)}`,
              'aria-label': `${node.id}: open its client page`,
            },
            shape,
          )
        : [svg('title', {}, `${node.id} (an audience, not a registered client)`), ...shape],
    );
  });
  const picture = svg(
    'svg',
    {
      class: 'graph',
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-labelledby': 'graph-caption',
    },
    svg('defs', {}, marker('arrow'), marker('arrow-refused')),
    edges,
    nodes,
  );
  const caption = h(
    'figcaption',
    { id: 'graph-caption', class: 'muted' },
    `${graph.nodes.length} services and ${graph.edges.length} calls, from ${when(graph.since)} to ${when(graph.until)}. The table below lists the same calls.`,
  );
  const calls = table(
    'Calls (the arrows of the graph)',
    ['Caller', 'Audience', 'Tokens', 'Scopes used', 'Refused', 'Reasons', 'Last token'],
    graph.edges.map((edge) => [
      clientLink(edge.from, edge.client_id),
      edge.to,
      String(edge.tokens),
      edge.scopes.map((s) => `${s.scope} (${s.tokens})`).join(', ') || '(none)',
      edge.refusals > 0 ? badge(`${edge.refusals} refused`, 'refused') : badge('none', 'ok'),
      edge.refusal_reasons.map((r) => `${r.reason} ×${r.count}`).join(', ') || '—',
      when(edge.last_issued),
    ]),
  );
  const extra =
    graph.unattributed_refusals.length === 0
      ? []
      : [
          h(
            'p',
            {},
            `Refusals naming no known client_id: ${graph.unattributed_refusals.map((r) => `${r.reason} ×${r.count}`).join(', ')} (see Refusals).`,
          ),
        ];
  return [h('figure', {}, picture, caption), calls, ...extra];
}

function clientLink(label, clientId) {
  return h('a', { href: `#/clients/${encodeURIComponent(clientId ?? label)}` }, label);
}

async function clientsPage(gen) {
  const holder = h('div');
  setPage(
    'Clients',
    h(
      'div',
      { class: 'actions' },
      h('a', { href: '#/clients/new', id: 'create-client-link' }, 'Create a client'),
    ),
    holder,
  );
  try {
    const { clients } = await api('GET', '/clients');
    if (gen !== generation) return;
    holder.replaceChildren(
      table(
        'Every client, revoked ones included',
        ['Name', 'client_id', 'Status', 'Audiences', 'Scopes', 'Token lifetime'],
        clients.map((client) => [
          clientLink(client.name, client.client_id),
          h('span', { class: 'mono' }, client.client_id),
          client.revoked_at === null ? badge('active', 'ok') : badge('revoked', 'revoked'),
          list(client.audiences),
          list(client.scopes),
          `${client.token_ttl_sec} s`,
        ]),
      ),
    );
  } catch (err) {
    if (gen === generation) holder.replaceChildren(failure(err));
  }
}

function createClientPage() {
  const error = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { id: 'create-client', novalidate: true },
    h('label', { for: 'new-name' }, 'Name'),
    h('input', { id: 'new-name', name: 'name', required: true, spellcheck: 'false' }),
    h('label', { for: 'new-audiences' }, 'Audiences (comma-separated service names it may call)'),
    h('input', { id: 'new-audiences', name: 'audiences', spellcheck: 'false' }),
    h('label', { for: 'new-scopes' }, 'Scopes (comma-separated)'),
    h('input', { id: 'new-scopes', name: 'scopes', spellcheck: 'false' }),
    h('label', { for: 'new-ttl' }, 'Token lifetime, seconds (empty: the default)'),
    h('input', { id: 'new-ttl', name: 'token_ttl_sec', inputmode: 'numeric' }),
    h('button', { type: 'submit' }, 'Create client'),
  );
  const split = (text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = $('new-name').value.trim();
    const ttl = $('new-ttl').value.trim();
    if (name === '') {
      error.replaceChildren(h('p', { class: 'error' }, 'Give the client a name.'));
      $('new-name').focus();
      return;
    }
    if (ttl !== '' && !/^[1-9]\d*$/.test(ttl)) {
      error.replaceChildren(
        h('p', { class: 'error' }, 'The token lifetime is a whole number of seconds.'),
      );
      $('new-ttl').focus();
      return;
    }
    const body = {
      name,
      audiences: split($('new-audiences').value),
      scopes: split($('new-scopes').value),
      ...(ttl === '' ? {} : { token_ttl_sec: Number(ttl) }),
    };
    const ok = await confirmAction(
      'Create this client?',
      `Create the client ${name} with audiences ${list(body.audiences)} and scopes ${list(body.scopes)}. Its secret is shown once.`,
      'Create client',
    );
    if (!ok) return;
    try {
      const created = await api('POST', '/clients', body);
      await showSecret(created.client_id, created.client_secret);
      location.hash = `#/clients/${encodeURIComponent(created.client_id)}`;
      say(`Created client ${created.name}.`);
    } catch (err) {
      error.replaceChildren(h('p', { class: 'error' }, `Not created: ${err.message}`));
    }
  });
  setPage(
    'Create a client',
    h('p', {}, h('a', { href: '#/clients' }, '← All clients')),
    form,
    error,
  );
}

async function clientPage(gen, idOrName) {
  const holder = h('div');
  setPage('Client', h('p', {}, h('a', { href: '#/clients' }, '← All clients')), holder);
  let client;
  try {
    client = await api('GET', `/clients/${encodeURIComponent(idOrName)}`);
  } catch (err) {
    if (gen === generation) holder.replaceChildren(failure(err));
    return;
  }
  if (gen !== generation) return;
  setPage(
    `Client ${client.name}`,
    h('p', {}, h('a', { href: '#/clients' }, '← All clients')),
    holder,
  );
  const revoked = client.revoked_at !== null;
  const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
  const secretBased = method === 'client_secret_basic';
  const credentialStatus = secretBased
    ? client.secrets.length === 0
      ? 'no secret accepted'
      : client.secrets
          .map((s) =>
            s.expires_at === null ? 'a secret, no end' : `a secret until ${when(s.expires_at)}`,
          )
          .join('; ')
    : method === 'private_key_jwt'
      ? `private_key_jwt: ${client.jwks_uri ? `keys at ${client.jwks_uri}` : `${client.jwks?.keys.length ?? 0} public key(s)`}`
      : `federated: ${list(client.federated_subjects ?? [])}`;
  const details = h(
    'dl',
    {},
    h('dt', {}, 'Status'),
    h(
      'dd',
      {},
      revoked ? badge(`revoked ${when(client.revoked_at)}`, 'revoked') : badge('active', 'ok'),
    ),
    h('dt', {}, 'client_id'),
    h('dd', { class: 'mono' }, client.client_id),
    h('dt', {}, 'Audiences'),
    h('dd', {}, list(client.audiences)),
    h('dt', {}, 'Scopes'),
    h('dd', {}, list(client.scopes)),
    h('dt', {}, secretBased ? 'Secret' : 'Keys'),
    h('dd', { id: 'credential-status' }, credentialStatus),
    h('dt', {}, 'Token lifetime'),
    h('dd', {}, `${client.token_ttl_sec} s (${client.token_format})`),
    h('dt', {}, 'Created'),
    h('dd', {}, when(client.created_at)),
    h('dt', {}, 'Last token'),
    h('dd', { id: 'last-token' }, 'loading…'),
  );
  const rotate = h(
    'button',
    { type: 'button', id: 'rotate-secret', disabled: revoked || !secretBased },
    'Rotate secret',
  );
  const revoke = h(
    'button',
    { type: 'button', id: 'revoke-client', class: 'danger', disabled: revoked },
    revoked ? 'Revoked' : 'Revoke client',
  );
  rotate.addEventListener('click', async () => {
    const ok = await confirmAction(
      `Rotate the secret of ${client.name}?`,
      `A new secret is issued and shown once; the current one stops being accepted at once. ${client.name} must be given the new secret.`,
      'Rotate secret',
    );
    if (!ok) return;
    try {
      const rotated = await api(
        'POST',
        `/clients/${encodeURIComponent(client.client_id)}/rotate-secret`,
        { grace_sec: 0 },
      );
      await showSecret(rotated.client_id, rotated.client_secret);
      say(`Rotated the secret of ${client.name}.`);
      void route();
    } catch (err) {
      say(`Not rotated: ${err.message}`);
    }
  });
  revoke.addEventListener('click', async () => {
    const ok = await confirmAction(
      `Revoke ${client.name}?`,
      `${client.name} gets no new token from now on, and the tokens it holds are refused by every receiver that polls the revocation feed (the others accept them until they expire). This cannot be undone.`,
      'Revoke client',
    );
    if (!ok) return;
    try {
      await api('POST', `/clients/${encodeURIComponent(client.client_id)}/revoke`);
      say(`Revoked ${client.name}.`);
      focusHeading = true;
      await route();
    } catch (err) {
      say(`Not revoked: ${err.message}`);
    }
  });
  const unused = h('div', { id: 'unused-grants' }, h('p', { class: 'muted' }, 'loading…'));
  const refusals = h('div', { id: 'client-refusals' }, h('p', { class: 'muted' }, 'loading…'));
  holder.replaceChildren(
    details,
    h('h2', {}, 'Actions'),
    h('div', { class: 'actions' }, rotate, revoke),
    h('h2', {}, 'Unused grants (last 30 days)'),
    unused,
    h('h2', {}, 'Refused token requests'),
    refusals,
  );

  const [last, report, refused] = await Promise.allSettled([
    api('GET', `/audit?client=${encodeURIComponent(client.client_id)}&outcome=issued&limit=1`),
    api('GET', '/audit/unused?since_sec=2592000'),
    api('GET', `/audit?client=${encodeURIComponent(client.client_id)}&outcome=refused&limit=50`),
  ]);
  if (gen !== generation) return;
  const lastToken = $('last-token');
  if (last.status === 'fulfilled') {
    const event = last.value.events.at(-1);
    lastToken.textContent =
      event === undefined
        ? 'none in the audit table'
        : `${when(event.time)} for ${event.audience} (${list(event.scopes ?? [])})`;
  } else lastToken.replaceChildren(failure(last.reason));
  if (report.status === 'fulfilled') {
    const entry = report.value.clients.find((c) => c.client_id === client.client_id);
    unused.replaceChildren(
      revoked
        ? h('p', {}, 'A revoked client has no grants to remove.')
        : entry === undefined
          ? h(
              'p',
              {},
              badge('none', 'ok'),
              ' every audience and scope it holds was used in the period.',
            )
          : h(
              'div',
              {},
              h(
                'dl',
                {},
                h('dt', {}, 'Audiences never called'),
                h('dd', {}, list(entry.unused_audiences)),
                h('dt', {}, 'Scopes never used'),
                h('dd', {}, list(entry.unused_scopes)),
                h('dt', {}, 'Tokens in the period'),
                h('dd', {}, entry.idle ? '0 (an idle client)' : String(entry.tokens)),
                h('dt', {}, 'To remove them'),
                h('dd', {}, h('code', {}, entry.command)),
              ),
              report.value.covers_period
                ? undefined
                : h(
                    'p',
                    { class: 'muted' },
                    'The audit table does not reach back 30 days: grants used before its first event are listed too.',
                  ),
            ),
    );
  } else unused.replaceChildren(failure(report.reason));
  if (refused.status === 'fulfilled') {
    refusals.replaceChildren(
      table(
        `Its last ${refused.value.events.length} refused requests, newest first`,
        ['Time', 'Audience', 'Scopes asked', 'Reason', 'Detail', 'Status'],
        refused.value.events
          .slice()
          .reverse()
          .map((e) => [
            when(e.time),
            e.audience ?? '—',
            list(e.scopes ?? []),
            h('code', {}, e.reason ?? '—'),
            e.detail ?? '—',
            String(e.status),
          ]),
      ),
    );
  } else refusals.replaceChildren(failure(refused.reason));
}

async function keysPage(gen) {
  const holder = h('div');
  setPage(
    'Signing keys',
    h('p', {}, 'The keys that sign access tokens, their states and their next scheduled change.'),
    holder,
  );
  try {
    const { keys } = await api('GET', '/keys');
    if (gen !== generation) return;
    const kinds = { active: 'ok', next: 'neutral', retired: 'neutral', revoked: 'revoked' };
    holder.replaceChildren(
      table(
        'Every signing key (public material only)',
        ['kid', 'Algorithm', 'State', 'Created', 'Activated', 'Next change'],
        keys.map((key) => [
          h('span', { class: 'mono' }, key.kid),
          key.alg,
          badge(key.state, kinds[key.state] ?? 'neutral'),
          when(key.created_at),
          when(key.activated_at),
          key.next_change === null
            ? 'none scheduled'
            : `${key.next_change.state} ${key.next_change.at === null ? 'when the next key activates' : `at ${when(key.next_change.at)}`}`,
        ]),
      ),
    );
  } catch (err) {
    if (gen === generation) holder.replaceChildren(failure(err));
  }
}

async function refusalsPage(gen) {
  const holder = h('div');
  setPage(
    'Recent refusals',
    h(
      'p',
      {},
      'The most recent refused token requests, newest first, with the reason the server recorded (never sent to the caller).',
    ),
    holder,
  );
  try {
    const { events } = await api('GET', '/audit?outcome=refused&limit=100');
    if (gen !== generation) return;
    holder.replaceChildren(
      table(
        `${events.length} refused requests`,
        ['Time', 'Client', 'Audience', 'Scopes asked', 'Reason', 'Detail', 'Status', 'From'],
        events
          .slice()
          .reverse()
          .map((e) => [
            when(e.time),
            e.client_name !== null
              ? clientLink(e.client_name, e.client_id)
              : h('span', { class: 'mono' }, e.client_id ?? '(none presented)'),
            e.audience ?? '—',
            list(e.scopes ?? []),
            h('code', {}, e.reason ?? '—'),
            e.detail ?? '—',
            String(e.status),
            e.source_address ?? '—',
          ]),
      ),
    );
  } catch (err) {
    if (gen === generation) holder.replaceChildren(failure(err));
  }
}

// ---- routing -------------------------------------------------------------------------------

async function route() {
  generation += 1;
  const gen = generation;
  clearInterval(refreshTimer);
  const path = location.hash.replace(/^#/, '') || '/graph';
  for (const link of document.querySelectorAll('nav a')) {
    const target = link.getAttribute('href').slice(1);
    if (path === target || path.startsWith(`${target}/`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const client = /^\/clients\/(.+)$/.exec(path);
  if (path === '/graph') await graphPage(gen);
  else if (path === '/clients') await clientsPage(gen);
  else if (path === '/clients/new') createClientPage();
  else if (client) await clientPage(gen, decodeURIComponent(client[1]));
  else if (path === '/keys') await keysPage(gen);
  else if (path === '/refusals') await refusalsPage(gen);
  else setPage('Not found', h('p', {}, h('a', { href: '#/graph' }, 'Go to the service graph')));
}

function render() {
  const signedIn = readToken() !== undefined;
  $('sign-in').hidden = signedIn;
  $('nav').hidden = !signedIn;
  if (!signedIn) {
    generation += 1;
    clearInterval(refreshTimer);
    $('page').replaceChildren();
    document.title = 'Sign in — m2m-auth console';
    return;
  }
  void route();
}

async function signInWithCredentials(event) {
  event.preventDefault();
  const clientId = $('client-id').value.trim();
  const secret = $('client-secret').value;
  try {
    const res = await fetch('sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, client_secret: secret }),
      cache: 'no-store',
    });
    const json = await res.json().catch(() => undefined);
    if (!res.ok) {
      say(`Not signed in: ${json?.error_description ?? `HTTP ${res.status}`}`);
      return;
    }
    $('client-secret').value = '';
    storeToken(json.access_token);
    say(`Signed in (scopes: ${json.scope || 'none'}).`);
    focusHeading = true;
    render();
  } catch (err) {
    say(`Not signed in: ${err.message}`);
  }
}

function signInWithToken(event) {
  event.preventDefault();
  const token = $('access-token').value.trim();
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    say('That is not an access token (three base64url parts separated by dots).');
    return;
  }
  $('access-token').value = '';
  storeToken(token);
  say('Signed in with the token.');
  focusHeading = true;
  render();
}

$('sign-in-credentials').addEventListener('submit', signInWithCredentials);
$('sign-in-token').addEventListener('submit', signInWithToken);
$('sign-out').addEventListener('click', () => signOut('Signed out.'));
window.addEventListener('hashchange', () => {
  if (readToken() === undefined) return render();
  focusHeading = true;
  void route();
});
render();
