/**
 * @module The chart page's browser script, as text (served as `/charts/assets/chart.js`). Plain ES2020
 * with no imports: it uses the `echarts` global of the ECharts script served beside it. Kept as a string
 * so it ships inside the compiled server without a bundler or a copy step; the browser tests exercise it.
 */

/** The script. It reads its configuration from `<script type="application/json" id="dunlin-chart">`. */
export const CHART_PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('dunlin-chart').textContent);
  var query = new URL(location.href).searchParams;
  var token = query.get('token') || '';
  var theme = query.get('theme') === 'dark' ? 'dark' : 'light';
  var showTitle = query.get('title') !== '0';
  var titleEl = document.getElementById('title');
  var chartEl = document.getElementById('chart');
  var statusEl = document.getElementById('status');
  var PALETTE = theme === 'dark'
    ? ['#60a5fa', '#34d399', '#fbbf24', '#f87171', '#a78bfa', '#22d3ee', '#f472b6', '#a3e635']
    : ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  var parentOrigin = expectedParentOrigin();
  var state = {
    pipe: cfg.pipe, chartId: cfg.chartId, spec: cfg.spec, rows: null, meta: null,
    phase: 'loading', error: null, loads: 0, renewals: 0, waitingForToken: false,
    chart: null, timer: null, expiryTimer: null, inFlight: false
  };
  window.dunlinChart = state;

  function expectedParentOrigin() {
    if (window.parent === window) return null;
    if (location.ancestorOrigins && location.ancestorOrigins.length > 0) return location.ancestorOrigins[0];
    var o = query.get('parent_origin');
    if (o) return o;
    if (document.referrer) { try { return new URL(document.referrer).origin; } catch (e) { return null; } }
    return null;
  }

  function setStatus(kind, text, detail) {
    statusEl.className = 'status status-' + kind;
    statusEl.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    statusEl.textContent = '';
    if (!text) { statusEl.hidden = true; return; }
    statusEl.hidden = false;
    var p = document.createElement('p');
    p.className = 'status-text';
    p.textContent = text;
    statusEl.appendChild(p);
    if (detail) {
      var d = document.createElement('p');
      d.className = 'status-detail';
      d.textContent = detail;
      statusEl.appendChild(d);
    }
  }

  function showError(err, detail) {
    state.error = err;
    var hasData = state.rows !== null && state.rows.length > 0;
    state.phase = hasData ? 'stale' : 'error';
    if (!hasData) chartEl.hidden = true;
    var text = err.message || 'The chart could not be loaded';
    var extra = detail || (err.code ? err.code : '');
    setStatus(hasData ? 'banner' : 'error', text, extra);
  }

  // Token renewal: ask the parent page for a new token instead of reloading.
  function requestToken(reason) {
    if (!parentOrigin) return false;
    // An expired token stops the refresh timer until a new one arrives; an expiring one keeps working.
    if (reason === 'expired') state.waitingForToken = true;
    window.parent.postMessage({ type: 'dunlin:token-expired', chartId: cfg.chartId, pipe: cfg.pipe, reason: reason }, parentOrigin);
    return true;
  }

  window.addEventListener('message', function (ev) {
    if (ev.source !== window.parent || !parentOrigin || ev.origin !== parentOrigin) return;
    var d = ev.data;
    if (!d || d.type !== 'dunlin:token' || typeof d.token !== 'string' || d.token === '') return;
    if (d.chartId !== undefined && d.chartId !== cfg.chartId) return;
    token = d.token;
    state.waitingForToken = false;
    state.renewals++;
    scheduleExpiry();
    if (!state.spec) loadSpec();
    else if (state.error !== null || state.rows === null) load();
  });

  function jwtExpiry(t) {
    var parts = t.split('.');
    if (parts.length !== 3) return null;
    try {
      var json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
      var exp = JSON.parse(json).exp;
      return typeof exp === 'number' ? exp : null;
    } catch (e) { return null; }
  }

  function scheduleExpiry() {
    if (state.expiryTimer) clearTimeout(state.expiryTimer);
    state.expiryTimer = null;
    var exp = jwtExpiry(token);
    if (exp === null || !parentOrigin) return;
    var leftMs = exp * 1000 - Date.now();
    var aheadMs = Math.min(60000, Math.max(1000, leftMs / 10));
    if (leftMs <= 0) return;
    state.expiryTimer = setTimeout(function () { requestToken('expiring'); }, Math.max(0, leftMs - aheadMs));
  }

  function apiError(res, body) {
    var msg = body && typeof body.error === 'string' ? body.error : 'Request failed with HTTP ' + res.status;
    var err = new Error(msg);
    err.code = (body && body.code) || res.headers.get('X-Error-Code') || '';
    err.status = res.status;
    return err;
  }

  function request(url, init) {
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        if (!res.ok) throw apiError(res, body);
        return body;
      });
    }, function () {
      var err = new Error('Dunlin could not be reached');
      err.code = 'NETWORK';
      throw err;
    });
  }

  function endpointParams() {
    var p = {};
    var defaults = state.spec.default_params || {};
    Object.keys(defaults).forEach(function (k) { p[k] = defaults[k]; });
    (state.spec.params || []).forEach(function (name) {
      var all = query.getAll(name);
      if (all.length === 1) p[name] = all[0];
      else if (all.length > 1) p[name] = all;
    });
    return p;
  }

  function fetchData() {
    var params = endpointParams();
    var base = location.origin + '/v0/pipes/' + encodeURIComponent(cfg.pipe) + '.json';
    var u = new URL(base);
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (Array.isArray(v)) v.forEach(function (x) { u.searchParams.append(k, x); });
      else u.searchParams.set(k, v);
    });
    u.searchParams.set('from', 'chart');
    u.searchParams.set('token', token);
    if (u.href.length <= 2048) return request(u.href);
    // Long URLs: POST the params as JSON, as @tinybirdco/charts does; the server merges the body.
    var pu = new URL(base);
    pu.searchParams.set('from', 'chart');
    pu.searchParams.set('token', token);
    return request(pu.href, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
  }

  function handleFailure(err) {
    if (err.code === 'ERR_AUTH_TOKEN_EXPIRED' && requestToken('expired')) {
      showError(err, 'Waiting for a new token from the page…');
    } else {
      showError(err);
    }
  }

  function loadSpec() {
    var u = location.origin + '/v0/pipes/' + encodeURIComponent(cfg.pipe) + '/endpoint/charts/' +
      encodeURIComponent(cfg.chartId) + '?token=' + encodeURIComponent(token);
    setStatus('loading', 'Loading…');
    return request(u).then(function (spec) {
      state.spec = spec;
      start();
    }, handleFailure);
  }

  function load() {
    if (!token) {
      showError({ message: 'No token: add ?token=<JWT or static token> to the chart URL', code: 'ERR_AUTH_TOKEN_MISSING' });
      return Promise.resolve();
    }
    if (state.inFlight) return Promise.resolve();
    state.inFlight = true;
    if (state.rows === null) setStatus('loading', 'Loading…');
    else chartEl.setAttribute('aria-busy', 'true');
    return fetchData().then(function (body) {
      state.rows = Array.isArray(body && body.data) ? body.data : [];
      state.meta = Array.isArray(body && body.meta) ? body.meta : [];
      state.error = null;
      state.loads++;
      render();
    }, handleFailure).then(function () {
      state.inFlight = false;
      chartEl.removeAttribute('aria-busy');
    });
  }

  // Formatting.
  function num(v) {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v))) return Number(v);
    return null;
  }
  function fmtValue(v) {
    var s = state.spec;
    var n = num(v);
    if (n === null) return v === null || v === undefined ? '' : String(v);
    var digits = typeof s.decimals === 'number' ? s.decimals : undefined;
    var out;
    if (s.value_format === 'compact') {
      out = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: digits === undefined ? 1 : digits }).format(n);
    } else if (s.value_format === 'percent') {
      out = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: digits === undefined ? 1 : digits }).format(n);
    } else if (s.value_format === 'bytes') {
      var units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
      var i = 0;
      var x = Math.abs(n);
      while (x >= 1000 && i < units.length - 1) { x /= 1000; i++; }
      out = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits === undefined ? 1 : digits }).format(n < 0 ? -x : x) + ' ' + units[i];
    } else {
      out = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits === undefined ? 2 : digits }).format(n);
    }
    return (s.prefix || '') + out + (s.suffix || '');
  }
  function fmtIndex(v) {
    var f = state.spec.index_format;
    if (v === null || v === undefined) return '';
    if (f === 'number') { var n = num(v); return n === null ? String(v) : new Intl.NumberFormat().format(n); }
    if (f === 'date' || f === 'datetime' || f === 'month') {
      var d = new Date(String(v).replace(' ', 'T') + (String(v).length <= 10 ? 'T00:00:00' : ''));
      if (isNaN(d.getTime())) return String(v);
      if (f === 'date') return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
      if (f === 'month') return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short' });
      return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    }
    return String(v);
  }

  function columns() {
    var names = (state.meta || []).map(function (m) { return m.name; });
    return names;
  }

  function checkColumns(needed) {
    var names = columns();
    var missing = needed.filter(function (c) { return names.indexOf(c) < 0; });
    if (missing.length > 0) {
      showError({ message: 'The endpoint result has no column ' + missing.join(', '), code: 'CHART_COLUMN_MISSING' });
      return false;
    }
    return true;
  }

  function render() {
    var s = state.spec;
    titleEl.textContent = s.title || '';
    titleEl.hidden = !showTitle || !s.title;
    if (state.rows.length === 0) {
      state.phase = 'empty';
      chartEl.hidden = true;
      setStatus('empty', 'No data', 'The endpoint returned no rows for these parameters.');
      return;
    }
    var needed = (s.index ? [s.index] : []).concat(s.categories || []);
    if (!checkColumns(needed)) return;
    chartEl.hidden = false;
    setStatus('ok', '');
    state.phase = 'ready';
    if (s.type === 'table') { disposeChart(); renderTable(); return; }
    if (s.type === 'kpi') { disposeChart(); renderKpi(); return; }
    if (!state.chart) {
      chartEl.textContent = '';
      chartEl.className = 'chart';
      state.chart = echarts.init(chartEl, theme === 'dark' ? 'dark' : null, { renderer: 'canvas' });
    }
    state.chart.setOption(option(), true);
  }

  function disposeChart() {
    if (state.chart) { state.chart.dispose(); state.chart = null; }
    chartEl.textContent = '';
  }

  function option() {
    var s = state.spec;
    var rows = state.rows;
    var colors = s.colors && s.colors.length > 0 ? s.colors.concat(PALETTE) : PALETTE;
    var cats = s.categories;
    var base = {
      animation: false,
      backgroundColor: 'transparent',
      color: colors,
      textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' }
    };
    if (s.type === 'donut') {
      base.tooltip = { trigger: 'item', valueFormatter: fmtValue };
      base.legend = { type: 'scroll', bottom: 0 };
      base.series = [{
        type: 'pie', name: cats[0], radius: ['45%', '70%'], center: ['50%', '45%'],
        avoidLabelOverlap: true, label: { show: false },
        data: rows.map(function (r) { return { name: fmtIndex(r[s.index]), value: num(r[cats[0]]) }; })
      }];
      return base;
    }
    var horizontal = s.type === 'horizontal-bar';
    var catAxis = { type: 'category', data: rows.map(function (r) { return fmtIndex(r[s.index]); }) };
    var valAxis = { type: 'value', axisLabel: { formatter: fmtValue } };
    if (horizontal) catAxis.inverse = true;
    if (s.type === 'line' || s.type === 'area') catAxis.boundaryGap = false;
    base.tooltip = { trigger: 'axis', valueFormatter: fmtValue };
    base.legend = { show: cats.length > 1, top: 0, type: 'scroll', icon: 'roundRect', itemWidth: 12, itemHeight: 8 };
    base.grid = { left: 8, right: 24, top: cats.length > 1 ? 32 : 12, bottom: 8, containLabel: true };
    base.xAxis = horizontal ? valAxis : catAxis;
    base.yAxis = horizontal ? catAxis : valAxis;
    base.series = cats.map(function (c) {
      var serie = {
        name: c,
        type: s.type === 'line' || s.type === 'area' ? 'line' : 'bar',
        data: rows.map(function (r) { return num(r[c]); }),
        showSymbol: rows.length <= 60
      };
      if (s.stacked) serie.stack = 'total';
      if (s.type === 'area') serie.areaStyle = { opacity: 0.3 };
      if (serie.type === 'bar') serie.barMaxWidth = 48;
      return serie;
    });
    return base;
  }

  function renderTable() {
    var s = state.spec;
    var cols = s.categories.length > 0 ? (s.index ? [s.index] : []).concat(s.categories) : columns();
    chartEl.className = 'chart chart-table';
    chartEl.textContent = '';
    var table = document.createElement('table');
    var head = table.createTHead().insertRow();
    cols.forEach(function (c) {
      var th = document.createElement('th');
      th.textContent = c;
      if (c !== s.index && num(state.rows[0][c]) !== null) th.className = 'num';
      head.appendChild(th);
    });
    var body = table.createTBody();
    state.rows.forEach(function (r) {
      var tr = body.insertRow();
      cols.forEach(function (c) {
        var td = tr.insertCell();
        var isIndex = c === s.index;
        td.textContent = isIndex ? fmtIndex(r[c]) : (num(r[c]) !== null && s.categories.indexOf(c) >= 0 ? fmtValue(r[c]) : String(r[c] === null || r[c] === undefined ? '' : r[c]));
        if (!isIndex && num(r[c]) !== null) td.className = 'num';
      });
    });
    chartEl.appendChild(table);
  }

  function renderKpi() {
    var s = state.spec;
    var c = s.categories[0];
    chartEl.className = 'chart chart-kpi';
    chartEl.textContent = '';
    var v = document.createElement('div');
    v.className = 'kpi-value';
    v.textContent = fmtValue(state.rows[0][c]);
    var l = document.createElement('div');
    l.className = 'kpi-label';
    l.textContent = s.title && !showTitle ? s.title : c;
    chartEl.appendChild(v);
    chartEl.appendChild(l);
  }

  function start() {
    if (state.timer) clearInterval(state.timer);
    var every = state.spec.refresh_interval || 0;
    if (every > 0) {
      state.timer = setInterval(function () {
        if (!state.waitingForToken && document.visibilityState !== 'hidden') load();
      }, every * 1000);
    }
    load();
  }

  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(function () { if (state.chart) state.chart.resize(); }).observe(document.body);
  }
  scheduleExpiry();
  if (cfg.error) {
    handleFailure({ message: cfg.error.error, code: cfg.error.code });
  } else if (cfg.spec) {
    start();
  }
})();
`
