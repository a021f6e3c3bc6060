// Live charts for one stream (uPlot, served from node_modules). A rolling window of samples,
// one per stats push (about a second apart).
'use strict';

const CHART_POINTS = 120;

const CHART_DEFS = [
  { title: 'fps', series: [['in', '#58a6ff'], ['out', '#3fb950']] },
  { title: 'ms', series: [['latency p50', '#3fb950'], ['latency p99', '#d29922'], ['filter p99', '#a371f7']] },
  { title: 'per s / %', series: [['dropped/s', '#f85149'], ['degraded/s', '#d29922'], ['CPU %', '#8a94a3']] },
];

class StreamCharts {
  constructor(container) {
    this.data = CHART_DEFS.map((d) => [[], ...d.series.map(() => [])]);
    this.plots = CHART_DEFS.map((def, i) => {
      const el = document.createElement('div');
      el.className = 'chart';
      container.appendChild(el);
      const opts = {
        title: def.title,
        width: Math.max(200, el.clientWidth || 260),
        height: 140,
        scales: { x: { time: true } },
        axes: [{ stroke: '#8a94a3', grid: { stroke: '#2d333b' } }, { stroke: '#8a94a3', grid: { stroke: '#2d333b' }, size: 40 }],
        series: [{}, ...def.series.map(([label, stroke]) => ({ label, stroke, width: 1.5 }))],
      };
      return new uPlot(opts, this.data[i], el);
    });
    // Charts follow their column's width: phone, laptop and resizes alike.
    this.resize = new ResizeObserver(() => {
      for (const p of this.plots) p.setSize({ width: Math.max(200, p.root.parentElement.clientWidth), height: 140 });
    });
    for (const p of this.plots) this.resize.observe(p.root.parentElement);
  }

  /** values: one array per chart, one number per series. */
  push(t, values) {
    this.data.forEach((d, i) => {
      d[0].push(t);
      values[i].forEach((v, k) => d[k + 1].push(Number.isFinite(v) ? v : null));
      if (d[0].length > CHART_POINTS) d.forEach((col) => col.shift());
      this.plots[i].setData(d);
    });
  }

  destroy() {
    this.resize.disconnect();
    for (const p of this.plots) p.destroy();
  }
}

window.StreamCharts = StreamCharts;
