// LWP panel: the Graphs section of the container and host pages (containers/templates/containers/_graphs.html).
// Fetches the section's metrics route (data-source, README "Metrics") for the chosen range and
// draws one uPlot chart per figure. Loaded only on those pages, after vendor/uplot/uPlot.iife.min.js.
// Nothing global: the browser tests read the page (canvases, legends, the section's data-drawn).
(function () {
  "use strict";

  var RANGE_IN_HASH = /^#graphs=(\w+)$/;
  var HEIGHT = 200;
  var COLOURS = ["#2563eb", "#15803d", "#b42318", "#a15c07"];
  var LIMIT_COLOUR = "#667085";
  var BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  var RANGE_NAMES = { hour: "Last hour", day: "Last day", week: "Last week", month: "Last month", year: "Last year" };

  // ---- human units -------------------------------------------------------------------------

  function short(value) {
    var size = Math.abs(value);
    var text = value.toFixed(size >= 100 || size === 0 ? 0 : size >= 10 ? 1 : 2);
    return text.indexOf(".") < 0 ? text : text.replace(/\.?0+$/, "");
  }

  function inBytes(value) {
    var unit = 0;
    while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return short(value) + " " + BYTE_UNITS[unit];
  }

  // The JSON's unit name -> how a value reads on the axis and in the legend.
  var FORMATS = {
    "percent": function (value) { return short(value) + " %"; },
    "bytes": inBytes,
    "bytes/s": function (value) { return inBytes(value) + "/s"; },
  };

  function every(seconds) {
    if (seconds % 3600 === 0) return seconds / 3600 + " h";
    if (seconds % 60 === 0) return seconds / 60 + " min";
    return seconds + " s";
  }

  function formatOf(unit) {
    return FORMATS[unit] || short;
  }

  // Axis ticks at 1, 2, 5 × powers of 1024 for bytes (1 MiB, 2 MiB...), not of 10 (0.95 MiB).
  var BYTE_STEPS = (function () {
    var steps = [];
    for (var power = 0; power < BYTE_UNITS.length; power++) {
      [1, 2, 5, 10, 20, 50, 100, 200, 500].forEach(function (n) { steps.push(n * Math.pow(1024, power)); });
    }
    return steps;
  })();

  function isBytes(unit) {
    return unit === "bytes" || unit === "bytes/s";
  }

  // The y axis as wide as its longest label (uPlot's fixed default cuts "512 KiB/s").
  function axisWidth(plot, labels, index, cycle) {
    var axis = plot.axes[index];
    if (cycle > 1) return axis._size;
    var longest = (labels || []).reduce(function (a, b) { return b.length > a.length ? b : a; }, "");
    plot.ctx.font = axis.font[0];
    return Math.ceil(axis.ticks.size + axis.gap + plot.ctx.measureText(longest).width / devicePixelRatio) + 4;
  }

  // Times in the browser's own locale and time zone: the clock for ticks less than a day apart
  // (the date at midnight), the date for wider ones; the legend shows both.
  var CLOCK = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var DATE = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  var MOMENT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  var DAY = 86400;

  function tickTimes(plot, ticks, index, space, increment) {
    return ticks.map(function (seconds) {
      var when = new Date(seconds * 1000);
      var midnight = when.getHours() === 0 && when.getMinutes() === 0;
      return (increment >= DAY || midnight ? DATE : CLOCK).format(when);
    });
  }

  function moment(plot, seconds) {
    return seconds == null ? "—" : MOMENT.format(new Date(seconds * 1000));
  }

  // ---- one chart -----------------------------------------------------------------------------

  function Graph(figure) {
    this.box = figure.querySelector(".graph-box");
    this.empty = figure.querySelector(".graph-empty");
    this.lines = Array.prototype.map.call(figure.querySelectorAll(".graph-lines li"), function (item) {
      return { series: item.getAttribute("data-series"), label: item.textContent,
        limit: item.hasAttribute("data-limit") };
    });
    this.plot = null;
    new ResizeObserver(this.fit.bind(this)).observe(this.box);
  }

  Graph.prototype.width = function () {
    return Math.max(this.box.clientWidth, 100);
  };

  Graph.prototype.fit = function () {
    if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT });
  };

  Graph.prototype.clear = function () {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  };

  function differs(one, other) {
    return one.some(function (value, index) { return value !== other[index]; });
  }

  // What this answer draws: each line, then a faint "peak" line for each whose highest samples
  // differ from its averages (day and longer ranges average several samples per point; the hour
  // does not). A series the answer lacks is a gap all along, as a series of nulls is.
  Graph.prototype.drawn = function (answer) {
    var nothing = answer.timestamps.map(function () { return null; });
    var colour = 0;
    var lines = this.lines.map(function (line) {
      return { label: line.label, limit: line.limit, values: answer.series[line.series] || nothing,
        colour: line.limit ? LIMIT_COLOUR : COLOURS[colour++ % COLOURS.length], series: line.series };
    });
    var peaks = lines.filter(function (line) {
      var highest = (answer.max || {})[line.series];
      return !line.limit && highest && differs(highest, line.values);
    }).map(function (line) {
      return { label: line.label + " peak", peak: true, values: answer.max[line.series], colour: line.colour };
    });
    return lines.concat(peaks);
  };

  Graph.prototype.options = function (answer, lines) {
    var unit = answer.units[this.lines[0].series];
    var format = formatOf(unit);
    var series = [{ value: moment }].concat(lines.map(function (line) {
      return { label: line.label, width: line.limit || line.peak ? 1 : 1.5,
        dash: line.limit ? [6, 4] : line.peak ? [2, 3] : undefined,
        stroke: line.peak ? line.colour + "99" : line.colour,
        value: function (plot, value) { return value == null ? "—" : format(value); } };
    }));
    var yAxis = { size: axisWidth, values: function (plot, ticks) { return ticks.map(format); } };
    if (isBytes(unit)) yAxis.incrs = BYTE_STEPS;
    return {
      width: this.width(), height: HEIGHT, series: series,
      axes: [{ values: tickTimes, space: 60 }, yAxis],
      // The whole range even where there is no data yet; y from zero.
      scales: { x: { time: true, range: function () { return [answer.start, answer.end]; } },
        y: { range: function (plot, min, max) { return uPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true); } } },
    };
  };

  Graph.prototype.draw = function (answer) {
    this.clear();
    var lines = this.drawn(answer);
    var values = lines.map(function (line) { return line.values; });
    var blank = values.every(function (list) { return list.every(function (value) { return value == null; }); });
    this.empty.hidden = !blank;
    if (blank) return;
    this.plot = new uPlot(this.options(answer, lines), [answer.timestamps].concat(values), this.box);
  };

  // ---- the section ---------------------------------------------------------------------------

  function Graphs(section) {
    this.section = section;
    this.source = section.getAttribute("data-source");
    this.status = section.querySelector(".graphs-status");
    this.buttons = Array.prototype.slice.call(section.querySelectorAll("button[data-range]"));
    this.graphs = Array.prototype.map.call(section.querySelectorAll("figure.graph"), function (figure) {
      return new Graph(figure);
    });
    this.asked = 0;  // the latest request: an older answer arriving late is dropped
    this.buttons.forEach(function (button) {
      button.addEventListener("click", this.show.bind(this, button.getAttribute("data-range"), true));
    }, this);
    section.querySelector(".graphs-ui").hidden = false;
    section.querySelector(".graphs-nojs").hidden = true;
    this.show(this.rangeInHash() || this.buttons[0].getAttribute("data-range"), false);
  }

  Graphs.prototype.rangeInHash = function () {
    var found = RANGE_IN_HASH.exec(location.hash);
    var known = found && this.buttons.some(function (button) { return button.getAttribute("data-range") === found[1]; });
    return known ? found[1] : null;
  };

  Graphs.prototype.show = function (range, remember) {
    if (remember) history.replaceState(null, "", "#graphs=" + range);  // a reload keeps the range
    this.buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-range") === range));
    });
    var request = ++this.asked;
    this.section.removeAttribute("data-drawn");
    this.status.textContent = "Loading…";
    fetch(this.source + "?range=" + encodeURIComponent(range), { headers: { Accept: "application/json" },
      credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok && body.status === "ok") return body;
          throw new Error(typeof body.error === "string" ? body.error
            : response.ok ? "the answer is not the figures" : "HTTP " + response.status);
        });
      })
      .then(function (answer) {
        if (request === this.asked) this.draw(range, answer);
      }.bind(this))
      .catch(function (error) {
        if (request !== this.asked) return;
        this.graphs.forEach(function (graph) { graph.clear(); });
        this.status.textContent = "Could not read the figures: " + error.message;
        this.section.setAttribute("data-drawn", "error");
      }.bind(this));
  };

  Graphs.prototype.draw = function (range, answer) {
    this.graphs.forEach(function (graph) { graph.draw(answer); });
    this.status.textContent = (RANGE_NAMES[range] || range) + ", a point every " + every(answer.step) + ".";
    this.section.setAttribute("data-drawn", range);
  };

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("section.graphs[data-source]");
    if (section && window.uPlot) new Graphs(section);
  });
})();
