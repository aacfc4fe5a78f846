/**
 * The console's own script (the CSP allows scripts from our own files only: no inline scripts or
 * handlers). It draws chart islands: an element `<div class="chart" data-chart="ID">` whose data is
 * the JSON text of `<script type="application/json" id="ID">` (never executed: that type is data),
 * `{"title","series":[{"label","unit"}],"x":[unix s...],"y":[[...],...]}`, drawn with uPlot. It runs
 * on load and after every htmx swap (charts loaded on demand). A TypeScript string so tsc ships it.
 *
 * Live islands (rollouts, fleet runs): an element `data-live="URL"` opens an EventSource on URL.
 * Events `swap` and `append` carry `{"id","html"}`: HTML the server rendered and escaped as it does
 * for its pages, put in (or appended to) the element of that id inside the island; `end` says the
 * view is final, so the source is closed instead of reconnecting. Without JavaScript the page is
 * the same, only not live (reload it).
 */
export const CONSOLE_JS = `
(function () {
  'use strict';
  function fmt(unit) {
    return function (u, v) {
      if (v == null) return '';
      if (unit === 'bytes') {
        var k = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'], i = 0, x = Math.abs(v);
        while (x >= 1000 && i < k.length - 1) { x /= 1000; i++; }
        return (v < 0 ? '-' : '') + x.toFixed(x < 10 && i > 0 ? 1 : 0) + ' ' + k[i];
      }
      if (unit === '%') return v.toFixed(0) + ' %';
      return String(Math.round(v * 100) / 100);
    };
  }
  function draw(el) {
    if (el.getAttribute('data-drawn') === '1' || typeof uPlot === 'undefined') return;
    var src = document.getElementById(el.getAttribute('data-chart'));
    if (!src) return;
    var spec;
    try { spec = JSON.parse(src.textContent); } catch (e) { return; }
    el.setAttribute('data-drawn', '1');
    var colors = ['#0b5fad', '#b3261e', '#1e7a34', '#8a5a00'];
    var unit = (spec.series[0] && spec.series[0].unit) || '';
    var series = [{}].concat(spec.series.map(function (s, i) {
      return { label: s.label, stroke: colors[i % colors.length], width: 2, dash: s.dash ? [6, 4] : undefined, value: fmt(s.unit) };
    }));
    var width = Math.max(280, Math.min(el.clientWidth || 800, 1200));
    new uPlot({ title: spec.title, width: width, height: 240, series: series, axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return fmt(unit)(u, v); }); }, size: 70 }] }, [spec.x].concat(spec.y), el);
  }
  function listen(el) {
    if (el.getAttribute('data-live-open') === '1' || typeof EventSource === 'undefined') return;
    el.setAttribute('data-live-open', '1');
    var src = new EventSource(el.getAttribute('data-live'));
    function apply(ev, append) {
      var d;
      try { d = JSON.parse(ev.data); } catch (x) { return; }
      var t = d && typeof d.id === 'string' ? document.getElementById(d.id) : null;
      if (!t || !el.contains(t) || typeof d.html !== 'string') return;
      if (append) t.insertAdjacentHTML('beforeend', d.html); else t.innerHTML = d.html;
    }
    src.addEventListener('swap', function (ev) { apply(ev, false); });
    src.addEventListener('append', function (ev) { apply(ev, true); });
    src.addEventListener('end', function () { src.close(); el.setAttribute('data-live-open', 'ended'); });
  }
  function init(root) {
    root = root || document;
    // htmx fires htmx:load on each element it inserts, so a swapped-in island is the root itself.
    if (root.matches && root.matches('[data-chart]')) draw(root);
    if (root.matches && root.matches('[data-live]')) listen(root);
    if (!root.querySelectorAll) return;
    var els = root.querySelectorAll('[data-chart]');
    for (var i = 0; i < els.length; i++) draw(els[i]);
    var lives = root.querySelectorAll('[data-live]');
    for (var j = 0; j < lives.length; j++) listen(lives[j]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { init(document); });
  else init(document);
  document.addEventListener('htmx:load', function (e) { init(e.target); });
})();
`;
