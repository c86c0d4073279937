// gochat's live graph page: draws the running graph as SVG with live
// packet counts (server-sent events from debug/events), shows a process's
// component, ports and configuration, and edits the graph: Apply posts it
// (FBP JSON) to debug/graph, Save to debug/save, Download gets the FBP
// DSL from debug/fbp. No framework, no build step; every URL is relative to the page.

const SVG = 'http://www.w3.org/2000/svg';
const PREFIX = 'gochat/';
const token = document.querySelector('meta[name="gochat-csrf"]').content;

// The drawing's measures, in SVG units.
const NODE_W = 170;
const HEAD_H = 40;
const PORT_H = 18;
const COL_GAP = 150; // between columns: room for initial packets and counts
const ROW_GAP = 28;
const DUMMY_H = 14; // a long edge's bend point takes this much room in its column
const MARGIN = 30;
const LAYOUT_RESTARTS = 30; // shuffled orders the layout tries when the first has crossings

const $ = (id) => document.getElementById(id);
const svg = $('graph');

// The page's state. running is the graph the server runs (its
// connections line up with the counts of debug/events); model is what the
// page draws and edits; positions hold each process's place, laid out or
// dragged.
const state = {
  catalog: new Map(), // component name without prefix -> component payload
  running: null,
  model: null,
  counts: new Map(), // "src -> tgt" -> packets, from the running graph
  positions: new Map(), // process name -> {x, y}
  dragged: new Set(), // processes the user moved
  routes: new Map(), // edge key -> bend points from the layout
  editing: false,
  dirty: false,
  selected: null, // a process name
  selectedEdge: null, // an edge key
  problems: [],
};

// ---- the graph's text forms -------------------------------------------

// endpoint parses "proc.PORT" or "proc.PORT[index]".
function endpoint(s) {
  const dot = s.indexOf('.');
  const proc = s.slice(0, dot);
  const m = /^([^[]+)(?:\[(.*)\])?$/.exec(s.slice(dot + 1));
  return { process: proc, port: m[1], index: m[2] ?? '' };
}

const portText = (e) => e.process + '.' + e.port.toUpperCase() + (e.index !== '' ? '[' + e.index + ']' : '');
const edgeKey = (c) => c.src + ' -> ' + c.tgt;
const componentOf = (name) => state.catalog.get(name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name);

// modelFrom turns debug/graph's answer into the page's model.
function modelFrom(g) {
  return {
    processes: g.processes.map((p) => ({ name: p.name, component: p.component, metadata: p.metadata || {} })),
    connections: g.connections.map((c) => ({ src: c.src, tgt: c.tgt, buffer: c.buffer || 0 })),
    iips: g.iips.map((i) => ({ data: i.data, tgt: i.tgt, json: !!i.json })),
    inports: g.inports.map((e) => ({ name: e.name, port: e.port })),
    outports: (g.outports || []).map((e) => ({ name: e.name, port: e.port })),
  };
}

// fbpJSON returns the model as an FBP JSON graph, with positions as node
// metadata (x and y, beside what else the metadata holds). An initial
// packet read as a JSON value stays one; any other, a typed one too, is
// its text.
function fbpJSON(m) {
  const ep = (s) => {
    const e = endpoint(s);
    const out = { process: e.process, port: e.port };
    if (e.index !== '') out.index = /^\d+$/.test(e.index) ? Number(e.index) : e.index;
    return out;
  };
  const g = { properties: { name: 'live' }, inports: {}, outports: {}, processes: {}, connections: [] };
  for (const e of m.inports) g.inports[e.name] = ep(e.port);
  for (const e of m.outports) g.outports[e.name] = ep(e.port);
  for (const p of m.processes) {
    const pos = state.positions.get(p.name);
    g.processes[p.name] = { component: p.component, metadata: { ...(p.metadata || {}) } };
    if (pos) Object.assign(g.processes[p.name].metadata, { x: Math.round(pos.x), y: Math.round(pos.y) });
  }
  for (const c of m.connections) {
    const conn = { src: ep(c.src), tgt: ep(c.tgt) };
    if (c.buffer) conn.metadata = { buffer: c.buffer };
    g.connections.push(conn);
  }
  for (const i of m.iips) {
    let data = i.data;
    if (i.json) {
      try {
        data = JSON.parse(i.data);
      } catch {
        // not JSON after all: its text
      }
    }
    g.connections.push({ data, tgt: ep(i.tgt) });
  }
  return JSON.stringify(g, null, 2) + '\n';
}

// ---- layout -----------------------------------------------------------

// portsOf returns a process's inports and outports: the catalogue's, and
// any the graph names that the catalogue does not know (drawn anyway).
function portsOf(m, p) {
  const comp = componentOf(p.component);
  const ins = comp ? comp.inPorts.map((q) => q.id.toUpperCase()) : [];
  const outs = comp ? comp.outPorts.map((q) => q.id.toUpperCase()) : [];
  const add = (list, s) => {
    const e = endpoint(s);
    if (e.process !== p.name) return;
    const name = portText(e).slice(p.name.length + 1);
    if (!list.includes(name) && !list.includes(e.port.toUpperCase())) list.push(name);
  };
  for (const c of m.connections) {
    add(outs, c.src);
    add(ins, c.tgt);
  }
  for (const i of m.iips) add(ins, i.tgt);
  return { ins, outs };
}

const nodeHeight = (ports) => HEAD_H + Math.max(ports.ins.length, ports.outs.length, 1) * PORT_H + 8;

// layout places every process that has no position yet, by a layered
// drawing: longest-path layering from the sources (back edges of cycles
// are ignored), a bend point for each layer a long edge crosses, then
// barycenter ordering, sweeping down and up and keeping the order with the
// fewest crossings, then swaps of neighbours that remove more, from the
// order of discovery and from a few shuffled ones. Crossings count ports'
// places on their boxes. It is enough for graphs of the default graph's
// size: it finds the one crossing its ports' order makes unavoidable.
function layout(m) {
  const names = m.processes.map((p) => p.name);
  const out = new Map(names.map((n) => [n, []]));
  for (const c of m.connections) {
    const s = endpoint(c.src).process;
    const t = endpoint(c.tgt).process;
    if (s !== t && out.has(s) && out.has(t)) out.get(s).push({ t, key: edgeKey(c), c });
  }
  // Where on its box's side a port is, from 0 (top) to 1, so that edges
  // leaving one box by different ports count as crossing when they do.
  const ports = new Map(m.processes.map((p) => [p.name, portsOf(m, p)]));
  const frac = (s, inport) => {
    const e = endpoint(s);
    const list = inport ? ports.get(e.process).ins : ports.get(e.process).outs;
    let i = list.indexOf(portText(e).slice(e.process.length + 1));
    if (i < 0) i = list.indexOf(e.port.toUpperCase());
    return (i + 1) / (list.length + 1);
  };
  // Acyclic: drop the edges DFS finds going back, starting from the
  // processes the graph's inports feed.
  const starts = m.inports.map((e) => endpoint(e.port).process).filter((n) => out.has(n));
  const mark = new Map();
  const keep = [];
  const visit = (n) => {
    mark.set(n, 1);
    for (const e of out.get(n)) {
      if (mark.get(e.t) === 1) continue; // a back edge
      keep.push({ s: n, t: e.t, key: e.key, fs: frac(e.c.src, false), ft: frac(e.c.tgt, true) });
      if (!mark.has(e.t)) visit(e.t);
    }
    mark.set(n, 2);
  };
  for (const n of [...starts, ...names]) if (!mark.has(n)) visit(n);
  // Longest path from the sources.
  const layer = new Map(names.map((n) => [n, 0]));
  for (let changed = true, rounds = 0; changed && rounds <= names.length; rounds++) {
    changed = false;
    for (const e of keep) {
      if (layer.get(e.t) < layer.get(e.s) + 1) {
        layer.set(e.t, layer.get(e.s) + 1);
        changed = true;
      }
    }
  }
  // Layers with a bend point (dummy) per layer a long edge crosses.
  const depth = Math.max(0, ...layer.values()) + 1;
  const layers = Array.from({ length: depth }, () => []);
  const heights = new Map();
  for (const p of m.processes) {
    layers[layer.get(p.name)].push(p.name);
    heights.set(p.name, nodeHeight(ports.get(p.name)));
  }
  // [left, right, left's port place, right's port place] between
  // adjacent layers.
  const links = [];
  const bends = new Map(); // edge key -> dummy names, in order
  let dummies = 0;
  for (const e of keep) {
    let prev = e.s;
    let fp = e.fs;
    const chain = [];
    for (let l = layer.get(e.s) + 1; l < layer.get(e.t); l++) {
      const d = '\u0000' + dummies++;
      layers[l].push(d);
      heights.set(d, DUMMY_H);
      chain.push(d);
      links.push([prev, d, fp, 0.5]);
      prev = d;
      fp = 0.5;
    }
    links.push([prev, e.t, fp, e.ft]);
    bends.set(e.key, chain);
  }
  const lvl = new Map();
  layers.forEach((ns, i) => ns.forEach((n) => lvl.set(n, i)));
  const order = () => new Map(layers.flatMap((ns) => ns.map((n, i) => [n, i])));
  const crossings = () => {
    const pos = order();
    let x = 0;
    for (let i = 0; i < links.length; i++) {
      for (let j = i + 1; j < links.length; j++) {
        const [a, b, fa, fb] = links[i];
        const [c, d, fc, fd] = links[j];
        if (lvl.get(a) !== lvl.get(c)) continue;
        if ((pos.get(a) + fa - pos.get(c) - fc) * (pos.get(b) + fb - pos.get(d) - fd) < 0) x++;
      }
    }
    return x;
  };
  // improve orders the layers by barycenter sweeps, down and up, then
  // swaps neighbours while that removes crossings (transposition); it
  // leaves the best order found in layers and returns its crossings.
  const improve = () => {
    let best = layers.map((ns) => [...ns]);
    let bestX = crossings();
    for (let sweep = 0; sweep < 12 && bestX > 0; sweep++) {
      const down = sweep % 2 === 0;
      const range = down ? [...Array(depth).keys()].slice(1) : [...Array(depth).keys()].reverse().slice(1);
      for (const l of range) {
        const pos = order();
        const ref = down ? l - 1 : l + 1;
        const bary = new Map();
        for (const n of layers[l]) {
          const ns = links.filter(([a, b]) => (down ? b === n && lvl.get(a) === ref : a === n && lvl.get(b) === ref))
            .map(([a, b, fa, fb]) => (down ? pos.get(a) + fa : pos.get(b) + fb));
          bary.set(n, ns.length ? ns.reduce((s, v) => s + v, 0) / ns.length : pos.get(n));
        }
        layers[l].sort((a, b) => bary.get(a) - bary.get(b));
      }
      const x = crossings();
      if (x < bestX) {
        bestX = x;
        best = layers.map((ns) => [...ns]);
      }
    }
    best.forEach((ns, l) => { layers[l] = ns; });
    for (let improved = bestX > 0, rounds = 0; improved && rounds < 50; rounds++) {
      improved = false;
      for (const ns of layers) {
        for (let i = 0; i + 1 < ns.length && bestX > 0; i++) {
          [ns[i], ns[i + 1]] = [ns[i + 1], ns[i]];
          const x = crossings();
          if (x < bestX) {
            bestX = x;
            improved = true;
          } else {
            [ns[i], ns[i + 1]] = [ns[i + 1], ns[i]];
          }
        }
      }
    }
    return bestX;
  };
  // From the order of discovery, then from a few shuffled orders (a
  // fixed seed: the same graph is always drawn the same way), keeping
  // the one with the fewest crossings.
  let bestX = improve();
  let best = layers.map((ns) => [...ns]);
  let seed = 1;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  for (let restart = 0; restart < LAYOUT_RESTARTS && bestX > 0; restart++) {
    for (const ns of layers) {
      for (let i = ns.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [ns[i], ns[j]] = [ns[j], ns[i]];
      }
    }
    const x = improve();
    if (x < bestX) {
      bestX = x;
      best = layers.map((ns) => [...ns]);
    }
  }
  // Coordinates: columns left to right, each centred on the tallest.
  const colH = best.map((ns) => ns.reduce((s, n) => s + heights.get(n) + ROW_GAP, -ROW_GAP));
  const tallest = Math.max(0, ...colH);
  const at = new Map();
  best.forEach((ns, l) => {
    let y = MARGIN + (tallest - colH[l]) / 2;
    for (const n of ns) {
      at.set(n, { x: MARGIN + 60 + l * (NODE_W + COL_GAP), y, h: heights.get(n) });
      y += heights.get(n) + ROW_GAP;
    }
  });
  for (const n of names) if (!state.positions.has(n)) state.positions.set(n, { x: at.get(n).x, y: at.get(n).y });
  state.routes = new Map();
  for (const [key, chain] of bends) {
    state.routes.set(key, chain.map((d) => ({ x: at.get(d).x + NODE_W / 2, y: at.get(d).y + DUMMY_H / 2 })));
  }
  // Where the layout put each process: an edge between two processes
  // still there follows its bend points; one whose end was dragged
  // elsewhere goes straight.
  state.laidOut = new Map(names.map((n) => [n, { x: at.get(n).x, y: at.get(n).y }]));
  return bestX;
}

// ---- drawing ----------------------------------------------------------

function el(name, attrs = {}, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function text(parent, x, y, s, attrs = {}) {
  const t = el('text', { x, y, ...attrs }, parent);
  t.textContent = s;
  return t;
}

// portAt returns where a port of a drawn process is, and its side.
function portAt(boxes, s, inport) {
  const e = endpoint(s);
  const b = boxes.get(e.process);
  if (!b) return null;
  const name = portText(e).slice(e.process.length + 1);
  const list = inport ? b.ports.ins : b.ports.outs;
  let i = list.indexOf(name);
  if (i < 0) i = list.indexOf(e.port.toUpperCase());
  if (i < 0) return null;
  return { x: b.x + (inport ? 0 : NODE_W), y: b.y + HEAD_H + i * PORT_H + PORT_H / 2 };
}

// along returns the point a fraction t along the first segment curve
// draws from a to b.
function along(a, b, t) {
  const dx = Math.max(30, (b.x - a.x) / 2);
  const u = 1 - t;
  const p1 = { x: a.x + dx, y: a.y };
  const p2 = { x: b.x - dx, y: b.y };
  const at = (k) => u * u * u * a[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * b[k];
  return { x: at('x'), y: at('y') };
}

// curve returns the path through points, a smooth S from each to the
// next.
function curve(points) {
  let d = 'M' + points[0].x + ',' + points[0].y;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const dx = Math.max(30, (b.x - a.x) / 2);
    d += ' C' + (a.x + dx) + ',' + a.y + ' ' + (b.x - dx) + ',' + b.y + ' ' + b.x + ',' + b.y;
  }
  return d;
}

// draw renders the model, its counts and problems.
function draw() {
  const m = state.model;
  svg.replaceChildren();
  svg.classList.toggle('editing', state.editing);
  const problemsOf = (pred) => state.problems.filter(pred).map((p) => p.message).join('\n');
  const boxes = new Map();
  for (const p of m.processes) {
    const pos = state.positions.get(p.name);
    const ports = portsOf(m, p);
    boxes.set(p.name, { x: pos.x, y: pos.y, h: nodeHeight(ports), ports, p });
  }
  const edges = el('g', { class: 'edges' }, svg);
  const nodes = el('g', { class: 'nodes' }, svg);
  const connected = new Set();
  for (const c of m.connections) {
    const a = portAt(boxes, c.src, false);
    const b = portAt(boxes, c.tgt, true);
    if (!a || !b) continue;
    connected.add(c.src).add(c.tgt);
    const key = edgeKey(c);
    const s = endpoint(c.src).process;
    const t = endpoint(c.tgt).process;
    const moved = [s, t].some((n) => {
      const l = state.laidOut?.get(n);
      const q = state.positions.get(n);
      return !l || l.x !== q.x || l.y !== q.y;
    });
    const bends = moved ? [] : state.routes.get(key) || [];
    const g = el('g', { class: 'edge', 'data-src': c.src, 'data-tgt': c.tgt }, edges);
    const d = curve([a, ...bends, b]);
    el('path', { class: 'line', d }, g);
    el('path', { class: 'hit', d }, g);
    const why = problemsOf((p) => p.connection === key);
    if (why) {
      g.classList.add('problem');
      el('title', {}, g).textContent = why;
    }
    if (key === state.selectedEdge) g.classList.add('selected');
    // The count: on a long edge at a bend (a column's free room), on a
    // short one near its outport, clear of the initial packets written
    // beside inports.
    const mid = bends.length ? bends[Math.floor((bends.length - 1) / 2)] : along(a, b, 0.3);
    const n = state.counts.get(key);
    text(g, mid.x, mid.y - 5, n === undefined ? '–' : String(n), { class: 'count', 'text-anchor': 'middle', 'data-edge': key });
    g.addEventListener('click', () => selectEdge(key));
  }
  for (const [name, b] of boxes) {
    const g = el('g', { class: 'process', 'data-name': name, transform: `translate(${b.x},${b.y})` }, nodes);
    el('rect', { class: 'box', width: NODE_W, height: b.h, rx: 8 }, g);
    el('rect', { class: 'head', x: 1, y: 1, width: NODE_W - 2, height: HEAD_H - 6, rx: 7 }, g);
    text(g, 10, 16, name, { class: 'title' });
    text(g, 10, 30, b.p.component, { class: 'component' });
    const why = problemsOf((p) => p.process === name && !p.port && !p.connection);
    if (why) {
      g.classList.add('problem');
      el('title', {}, g).textContent = why;
    }
    if (name === state.selected) g.classList.add('selected');
    const drawPort = (label, i, inport) => {
      const full = name + '.' + label;
      const pg = el('g', { class: 'port', 'data-port': full, 'data-dir': inport ? 'in' : 'out' }, g);
      const y = HEAD_H + i * PORT_H + PORT_H / 2;
      el('circle', { cx: inport ? 0 : NODE_W, cy: y, r: 5 }, pg);
      text(pg, inport ? 10 : NODE_W - 10, y + 4, label, { 'text-anchor': inport ? 'start' : 'end' });
      if ([...connected].some((s) => s === full || s.startsWith(full + '['))) pg.classList.add('connected');
      const bad = problemsOf((p) => p.port === full);
      if (bad) {
        pg.classList.add('problem');
        el('title', {}, pg).textContent = bad;
      }
      pg.addEventListener('pointerdown', (ev) => startConnect(ev, full, inport));
    };
    b.ports.ins.forEach((q, i) => drawPort(q, i, true));
    b.ports.outs.forEach((q, i) => drawPort(q, i, false));
    g.addEventListener('pointerdown', (ev) => startMove(ev, name));
  }
  // Initial packets beside their ports, exported ports beside theirs.
  const extras = el('g', { class: 'extras' }, svg);
  for (const i of m.iips) {
    const at = portAt(boxes, i.tgt, true);
    if (!at) continue;
    const g = el('g', { class: 'iip', 'data-tgt': i.tgt }, extras);
    el('path', { d: `M${at.x - 24},${at.y} L${at.x - 6},${at.y}` }, g);
    const shown = i.data.length > 18 ? i.data.slice(0, 17) + '…' : i.data;
    text(g, at.x - 28, at.y + 4, "'" + shown + "'", { 'text-anchor': 'end' });
    el('title', {}, g).textContent = i.data;
    const why = problemsOf((p) => p.port === i.tgt && !p.connection);
    if (why) g.classList.add('problem');
  }
  for (const e of m.inports) {
    const at = portAt(boxes, e.port, true);
    if (at) text(el('g', { class: 'export' }, extras), at.x - 10, at.y - 9, e.name + ' →', { 'text-anchor': 'end' });
  }
  // Size the drawing to what it holds.
  let w = 0;
  let h = 0;
  for (const b of boxes.values()) {
    w = Math.max(w, b.x + NODE_W);
    h = Math.max(h, b.y + b.h);
  }
  for (const bends of state.routes.values()) for (const q of bends) h = Math.max(h, q.y + DUMMY_H);
  svg.setAttribute('width', w + MARGIN);
  svg.setAttribute('height', h + MARGIN);
  svg.setAttribute('viewBox', `0 0 ${w + MARGIN} ${h + MARGIN}`);
}

// showCounts updates the count labels in place, without drawing again.
function showCounts() {
  for (const t of svg.querySelectorAll('text.count')) {
    const n = state.counts.get(t.dataset.edge);
    const s = n === undefined ? '–' : String(n);
    if (t.textContent !== s) t.textContent = s;
  }
}

// ---- details ----------------------------------------------------------

function node(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function select(name) {
  state.selected = name;
  state.selectedEdge = null;
  showDetails();
  draw();
}

function selectEdge(key) {
  if (!state.editing) return;
  state.selectedEdge = key;
  state.selected = null;
  showDetails();
  draw();
}

// showDetails fills the panel with the selected process (its component,
// ports with types, configuration with current values and defaults) or
// the selected connection.
function showDetails() {
  const box = $('details');
  box.replaceChildren();
  const m = state.model;
  if (state.selectedEdge) {
    const n = state.counts.get(state.selectedEdge);
    box.append(node('h2', { textContent: 'Connection' }),
      node('p', { textContent: state.selectedEdge }),
      node('p', { className: 'hint', textContent: n === undefined ? 'Not running yet.' : n + ' packets so far.' }));
    const rm = node('button', { type: 'button', className: 'danger', id: 'disconnect-button', textContent: 'Disconnect' });
    rm.addEventListener('click', () => {
      m.connections = m.connections.filter((c) => edgeKey(c) !== state.selectedEdge);
      state.selectedEdge = null;
      edited();
    });
    box.append(rm);
    return;
  }
  const p = m.processes.find((q) => q.name === state.selected);
  if (!p) {
    box.append(node('p', { className: 'hint', textContent: 'Click a process to see its component, its ports and its configuration.' }));
    return;
  }
  const comp = componentOf(p.component);
  box.append(node('h2', { id: 'details-title', textContent: p.name + ' (' + p.component + ')' }));
  box.append(node('p', { className: 'description', textContent: comp ? comp.description : 'Unknown component.' }));
  if (!comp) return;
  const table = node('table', { className: 'ports' });
  table.append(node('tr', {}, node('th', { textContent: 'port' }), node('th', { textContent: 'type' }), node('th', { textContent: 'what' })));
  const row = (q, dir) => table.append(node('tr', {},
    node('td', { textContent: q.id.toUpperCase() + (q.addressable ? '[]' : '') }),
    node('td', { textContent: dir + ' ' + q.type + (q.required ? '' : ', optional') }),
    node('td', { textContent: q.description || '' })));
  comp.inPorts.forEach((q) => row(q, 'in'));
  comp.outPorts.forEach((q) => row(q, 'out'));
  box.append(node('h3', { textContent: 'Ports' }), table);
  const config = comp.inPorts.filter((q) => q.type !== 'object');
  if (config.length) {
    const form = node('div', { className: 'config' });
    form.append(node('h3', { textContent: 'Configuration' }));
    for (const q of config) {
      const tgt = p.name + '.' + q.id.toUpperCase();
      const iip = m.iips.find((i) => i.tgt === tgt);
      const id = 'config-' + q.id;
      const input = node('input', { id, value: iip ? iip.data : '', readOnly: !state.editing, spellcheck: false });
      input.dataset.port = tgt;
      const dflt = 'default' in q ? JSON.stringify(q.default) : q.required ? 'required' : 'none';
      input.placeholder = q.required ? 'required' : 'default ' + dflt;
      input.addEventListener('change', () => {
        m.iips = m.iips.filter((i) => i.tgt !== tgt);
        if (input.value !== '') m.iips.push({ data: input.value, tgt });
        edited();
      });
      form.append(node('label', { htmlFor: id, textContent: q.id.toUpperCase() }), input,
        node('span', { className: 'default', textContent: (iip ? 'current ' + iip.data + '; ' : 'not set; ') + 'default ' + dflt }));
    }
    box.append(form);
  }
  if (state.editing) {
    const rm = node('button', { type: 'button', className: 'danger', id: 'remove-button', textContent: 'Remove process' });
    rm.addEventListener('click', () => {
      const gone = (s) => endpoint(s).process === p.name;
      m.processes = m.processes.filter((q) => q.name !== p.name);
      m.connections = m.connections.filter((c) => !gone(c.src) && !gone(c.tgt));
      m.iips = m.iips.filter((i) => !gone(i.tgt));
      m.inports = m.inports.filter((e) => !gone(e.port));
      m.outports = m.outports.filter((e) => !gone(e.port));
      state.selected = null;
      edited();
    });
    box.append(node('p', {}, rm));
  }
}

function say(text, bad = false) {
  const p = $('message');
  p.textContent = text;
  p.classList.toggle('bad', bad);
  p.hidden = !text;
}

function showProblems() {
  const list = $('problems');
  list.replaceChildren(...state.problems.map((p) => node('li', {
    textContent: (p.process || p.connection || p.port ? '[' + (p.connection || p.port || p.process) + '] ' : '') + p.message + (p.hint ? ' (' + p.hint + ')' : ''),
  })));
  $('problems-box').hidden = state.problems.length === 0;
}

// edited marks the model changed and draws it again.
function edited() {
  state.dirty = true;
  say('Edited: Apply makes it the running graph.');
  showDetails();
  draw();
}

// ---- pointer: moving processes, connecting ports ----------------------

function svgPoint(ev) {
  const r = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  return { x: (ev.clientX - r.left) * (vb.width / r.width || 1), y: (ev.clientY - r.top) * (vb.height / r.height || 1) };
}

function startMove(ev, name) {
  if (ev.defaultPrevented) return;
  const start = svgPoint(ev);
  const from = { ...state.positions.get(name) };
  let moved = false;
  const move = (e) => {
    const p = svgPoint(e);
    if (!moved && Math.hypot(p.x - start.x, p.y - start.y) < 4) return;
    moved = true;
    state.positions.set(name, { x: Math.max(0, from.x + p.x - start.x), y: Math.max(0, from.y + p.y - start.y) });
    state.dragged.add(name);
    const g = svg.querySelector(`g.process[data-name="${CSS.escape(name)}"]`);
    const q = state.positions.get(name);
    g?.setAttribute('transform', `translate(${q.x},${q.y})`);
  };
  const up = () => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    if (moved) {
      if (state.editing) state.dirty = true;
      draw();
    } else {
      select(name);
    }
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}

function startConnect(ev, port, inport) {
  if (!state.editing) return;
  ev.preventDefault();
  ev.stopPropagation();
  const start = svgPoint(ev);
  const line = el('path', { class: 'dragline', d: '' }, svg);
  const move = (e) => {
    const p = svgPoint(e);
    line.setAttribute('d', `M${start.x},${start.y} L${p.x},${p.y}`);
  };
  const up = (e) => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    line.remove();
    const target = document.elementFromPoint(e.clientX, e.clientY)?.closest('g.port');
    if (!target || target.dataset.port === port || (target.dataset.dir === 'in') === inport) return;
    const c = inport ? { src: target.dataset.port, tgt: port, buffer: 0 } : { src: port, tgt: target.dataset.port, buffer: 0 };
    if (state.model.connections.some((x) => edgeKey(x) === edgeKey(c))) return;
    state.model.connections.push(c);
    edited();
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}

// ---- talking to the server -------------------------------------------

async function fetchJSON(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(url + ': ' + res.status);
  return res.json();
}

// loadRunning fetches the running graph; unless the model holds edits
// not applied yet, the model becomes it.
async function loadRunning() {
  const g = await fetchJSON('graph');
  state.running = g;
  state.counts = new Map(g.connections.map((c) => [edgeKey(c), c.packets]));
  $('graph-name').textContent = g.graph;
  $('save-button').title = g.saveTo ? 'Apply, and write the graph over ' + g.saveTo + ' (the old file is kept as ' + g.saveTo + '.bak)' : 'This server runs the embedded graph: start it with -graph FILE to save';
  if (state.dirty) {
    say('The running graph changed; your edits are kept. Apply makes them the running graph.');
    draw();
    return;
  }
  state.model = modelFrom(g);
  const names = new Set(state.model.processes.map((p) => p.name));
  for (const n of [...state.positions.keys()]) if (!names.has(n) || !state.dragged.has(n)) state.positions.delete(n);
  // Positions kept in the graph (node metadata x and y, as Save writes
  // them) are where the processes go; the layout places the others.
  for (const p of state.model.processes) {
    const { x, y } = p.metadata;
    if (!state.positions.has(p.name) && Number.isFinite(x) && Number.isFinite(y)) {
      state.positions.set(p.name, { x, y });
      state.dragged.add(p.name);
    }
  }
  document.body.dataset.crossings = String(layout(state.model));
  showDetails();
  draw();
}

async function post(url) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gochat-Csrf': token },
    body: fbpJSON(state.model),
  });
  let body = {};
  try {
    body = await res.json();
  } catch {
    // a non-JSON answer: a proxy's error page
  }
  return { ok: res.ok, status: res.status, body };
}

async function apply(url) {
  say(url === 'save' ? 'Saving…' : 'Applying…');
  let r;
  try {
    r = await post(url);
  } catch (err) {
    say('Could not reach the server: ' + err.message, true);
    return;
  }
  state.problems = r.body.problems || [];
  showProblems();
  if (!r.ok) {
    say((r.body.error && r.body.error.message) || 'Refused: ' + r.status, true);
    draw();
    return;
  }
  state.dirty = false;
  say(r.body.saved ? 'Saved to ' + r.body.saved + ' and running.' : 'Applied: the graph runs.');
  document.body.dataset.applied = String(Number(document.body.dataset.applied || 0) + 1);
  await loadRunning();
}

// download saves the edited graph as graph.fbp, in the DSL gochat's own
// writer makes of it (debug/fbp, as graph fbp), through the page's
// download link: a data: URL, which the page's policy lets it download
// (a graph is at most 1 MiB).
async function download() {
  let r;
  try {
    r = await post('fbp');
  } catch (err) {
    say('Could not reach the server: ' + err.message, true);
    return;
  }
  if (!r.ok) {
    state.problems = r.body.problems || [];
    showProblems();
    say((r.body.error && r.body.error.message) || 'Refused: ' + r.status, true);
    return;
  }
  const a = $('download-link');
  a.href = 'data:text/plain;charset=utf-8,' + encodeURIComponent(r.body.fbp);
  a.click();
  say(r.body.lost.length ? 'Downloaded; the DSL cannot hold: ' + r.body.lost.join('; ') : 'Downloaded graph.fbp.');
}

function setEditing(on) {
  state.editing = on;
  $('edit-button').setAttribute('aria-pressed', String(on));
  for (const id of ['apply-button', 'download-button', 'save-button', 'add-form']) $(id).hidden = !on;
  if (!on) state.selectedEdge = null;
  showDetails();
  draw();
}

function addProcess(ev) {
  ev.preventDefault();
  const comp = $('add-component').value;
  const name = $('add-name').value.trim();
  if (state.model.processes.some((p) => p.name === name)) {
    say('There is a process ' + name + ' already.', true);
    return;
  }
  // Below the drawing, on the left: the columns keep their places.
  let y = MARGIN;
  for (const p of state.model.processes) {
    const q = state.positions.get(p.name);
    if (q) y = Math.max(y, q.y + nodeHeight(portsOf(state.model, p)) + ROW_GAP);
  }
  state.model.processes.push({ name, component: comp });
  state.positions.set(name, { x: MARGIN + 60, y });
  state.dragged.add(name);
  $('add-name').value = '';
  state.selected = name;
  edited();
}

function listen() {
  const es = new EventSource('events');
  es.addEventListener('graph', () => {
    loadRunning().catch((err) => say(err.message, true));
  });
  es.addEventListener('counts', (e) => {
    const { packets } = JSON.parse(e.data);
    if (!state.running || packets.length !== state.running.connections.length) return;
    state.running.connections.forEach((c, i) => state.counts.set(edgeKey(c), packets[i]));
    showCounts();
    $('status').textContent = 'Live';
  });
  es.addEventListener('error', () => {
    $('status').textContent = 'Reconnecting…';
  });
}

async function main() {
  const comps = await fetchJSON('components');
  for (const c of comps) {
    const name = c.name.startsWith(PREFIX) ? c.name.slice(PREFIX.length) : c.name;
    state.catalog.set(name, c);
    $('add-component').append(node('option', { value: name, textContent: name }));
  }
  $('edit-button').addEventListener('click', () => setEditing(!state.editing));
  $('apply-button').addEventListener('click', () => apply('graph'));
  $('save-button').addEventListener('click', () => apply('save'));
  $('download-button').addEventListener('click', download);
  $('add-form').addEventListener('submit', addProcess);
  await loadRunning();
  listen();
}

main().catch((err) => say('Could not load the graph: ' + err.message, true));
