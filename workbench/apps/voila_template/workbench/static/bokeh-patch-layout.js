/* A document patch from the kernel (the workbench's live charts, `workbench.charts.redraw`):
   laid out once, and not echoed back.

   1. BokehJS lays a chart out again, synchronously, on every change of a layout property (a
      plot's height or width policy, a grid's children), and paints it. A patch that sizes 48
      panels for presentation mode holds ~100 such changes: ~100 layouts and paints of the
      whole grid, each reading the page's styles anew (minutes at 2,000 teams). While a patch
      is applied the layouts asked for are noted; the outermost layout of each chart is then
      done once, after the last change. A layout's children changed by the patch (the panels
      moved to other columns for presentation mode) are put in place by BokehJS a moment
      later (`update_children` awaits its views, then lays the chart out again: a second
      layout and paint of every panel); the one layout then waits for them, in the same task.
   2. jupyter_bokeh sends every change of the page's document back to the kernel, also the
      kernel's own changes as the patch applies them (BokehJS marks those `sync: false`, and
      its own server connection drops them): a month change of 48 panels came back as ~250
      comm messages, every data array again, that the kernel then read one by one. While a
      patch is applied its own changes reach no listener of the document; what the browser
      changes of itself (ranges it computes, a selection) is still sent.
   3. To draw a line, a fill or a text BokehJS first asks the page's computed style for a
      `--bk-*` CSS variable that would override the chart's colour or font; after a layout
      every such read makes Chromium compute the page's styles again (~900 times for a grid of
      48 panels: seconds). The workbench sets no `--bk-*` variable, so the answer is always
      none: it is given without asking the page. A page that sets one keeps BokehJS's reads.
      Likewise a plot asks the computed style for its font size at each text it measures:
      its `:host` is `var(--bokeh-font-size, 12px)`, so where the page sets no
      `--bokeh-font-size` every plot has the same answer, read once and kept until the task
      (a patch, a layout) ends (before: once per plot, each read after the previous plot's
      layout a style recalculation of the page: ~1.5 s for presentation mode at 48 panels);
      a page that sets it keeps a read per plot and task.
   4. After each layout BokehJS tells the document every plot's new `inner_width`,
      `inner_height`, `outer_width` and `outer_height` (read-only sizes it computes, one
      batch of four changes a plot), and
      jupyter_bokeh sends each to the kernel as a comm message of its own: a switch to
      presentation mode resized ~50 plots and sent ~200 messages, each one a busy kernel and
      two status messages back. The workbench's kernel never reads those sizes: they stay in
      the page.
   5. A plot is drawn where it can be seen: a plot more than `MARGIN` px outside the window
      (an IntersectionObserver says so) keeps its pixels and its paint waits until it comes
      near the window, when it is drawn with everything it was given meanwhile (its data,
      ranges, sizes: BokehJS's own pending state, untouched; its automatic ranges are computed
      at once, as a paint would, so every model holds what it held before). A month change at 2,000 teams
      patched 48 panels and the matrix, funnel and attainment charts below them, ~24 of them on
      screen; the rest were drawn for nobody. While a patch is applied the plots' paints are
      held (also the paints they ask for at the next frame), and after its one layout the
      window is measured once (one forced layout of the page): the plots in or near it are
      drawn at once, the others wait (a presentation-mode
      switch moves every panel: what the observer last said no longer holds). Printing draws
      them all first. A plot not yet seen by the observer is drawn, as before.
   6. BokehJS writes each view's style sheets anew at every layout and paint (a renderer's
      place over the plot at each paint), mostly the text they already hold; the page then
      parses the sheet again and, at the next text drawn on a canvas (its font resolved
      against the page's styles), computes the page's styles again: three times a panel
      drawn. A sheet given the text it holds is left as it is; and the plots drawn after a
      patch first all get their renderers' places, then are drawn, so their text finds the
      page's styles computed once.
   Nothing else of BokehJS changes. */
(function () {
  if (!window.Bokeh || !Bokeh.require) { return; }
  var Document, LayoutDOMView;
  try {
    Document = Bokeh.require("document/document").Document;
    LayoutDOMView = Bokeh.require("models/layouts/layout_dom").LayoutDOMView;
  } catch (e) { return; }
  if (!Document || !LayoutDOMView || LayoutDOMView.prototype.__wbDeferred
      || !Document.prototype._trigger_on_change) { return; }
  try {
    var visual = Bokeh.require("core/visuals/visual").VisualProperties;
    var root = getComputedStyle(document.documentElement);
    var styled = false;
    for (var i = 0; i < root.length; i++) {
      if (root[i].indexOf("--bk-") === 0) { styled = true; break; }
    }
    if (visual && visual.prototype._get_css_value && !styled) {
      visual.prototype._get_css_value = function () { return ""; };
    }
  } catch (e) { /* BokehJS reads the page's styles as it always did */ }
  try {
    var PlotView = Bokeh.require("models/plots/plot_canvas").PlotView;
    var font = Object.getOwnPropertyDescriptor(PlotView.prototype, "base_font_size");
    var fontStyled = false;
    for (var j = 0; j < root.length; j++) {
      if (root[j].indexOf("--bokeh-") === 0) { fontStyled = true; break; }
    }
    var shared = {value: undefined};
    if (font && font.get && !font.set) {
      Object.defineProperty(PlotView.prototype, "base_font_size", {
        configurable: true,
        get: function () {
          var kept = fontStyled ? this : shared;
          if (kept.__wbFontSize === undefined) {
            kept.__wbFontSize = font.get.call(this);
            setTimeout(function () { kept.__wbFontSize = undefined; }, 0);
          }
          return kept.__wbFontSize;
        },
      });
    }
  } catch (e) { /* each text measured reads the font size, as before */ }
  try {  // 6. (see above)
    var sheet = Bokeh.require("core/dom").InlineStyleSheet;
    var rewrite = sheet && sheet.prototype._update;
    if (typeof rewrite === "function") {
      sheet.prototype._update = function (css) {
        if (this.el && this.el.textContent === css) { return; }
        return rewrite.call(this, css);
      };
    }
  } catch (e) { /* every sheet written as before */ }
  var invalidate = LayoutDOMView.prototype.invalidate_layout;
  var update_children = LayoutDOMView.prototype.update_children;
  var apply = Document.prototype.apply_json_patch;
  var trigger = Document.prototype._trigger_on_change;
  var own = {ModelChanged: 1, ColumnDataChanged: 1, ColumnsStreamed: 1, ColumnsPatched: 1};
  var depth = 0, asked = [];
  var updating = 0;  // children updates begun by a patch and not yet done (see 1.)
  var waiting = false;  // a patch applied, its layout waiting for those updates
  var sizes = {inner_width: 1, inner_height: 1, outer_width: 1, outer_height: 1};
  function sized(event) { return event.kind === "ModelChanged" && sizes[event.attr] === 1; }
  Document.prototype._trigger_on_change = function (event) {
    if (depth > 0 && event && event.sync === false && own[event.kind]) { return; }
    if (event && (sized(event) || (Array.isArray(event.events) && event.events.length
                                   && event.events.every(sized)))) { return; }
    return trigger.call(this, event);
  };
  LayoutDOMView.prototype.__wbDeferred = true;
  LayoutDOMView.prototype.invalidate_layout = function () {
    if (depth > 0 || updating > 0) { asked.push(this); return; }
    return invalidate.call(this);
  };
  if (typeof update_children === "function") {
    LayoutDOMView.prototype.update_children = function () {
      if (depth === 0 && updating === 0) { return update_children.apply(this, arguments); }
      updating += 1;
      var done = function () {
        updating -= 1;
        if (updating === 0 && waiting) { laidOut(); }
      };
      var promise = update_children.apply(this, arguments);
      Promise.resolve(promise).then(done, done);
      return promise;
    };
  }
  var visible = drawWhereSeen();
  function laidOut() {  // the one layout of each chart the patch changed, then its paints
    waiting = false;
    try {
      if (asked.length) {
        var roots = [], views = asked;
        asked = [];
        views.forEach(function (view) {
          while (view.parent instanceof LayoutDOMView) { view = view.parent; }
          if (roots.indexOf(view) < 0) { roots.push(view); }
        });
        roots.forEach(function (view) {
          if (visible) { visible.layOut(view); } else { invalidate.call(view); }
        });
      }
    } finally {
      if (visible) { visible.release(); }
    }
  }
  Document.prototype.apply_json_patch = function () {
    if (depth === 0 && !waiting && visible) { visible.collect(); }
    depth += 1;
    try {
      return apply.apply(this, arguments);
    } finally {
      depth -= 1;
      if (depth === 0) {
        if (updating > 0) { waiting = true; } else { laidOut(); }
      }
    }
  };

  /* 5. Plots drawn where they can be seen (see above); null where the browser lacks an
     IntersectionObserver or BokehJS has no plot paint to hold (then nothing changes). */
  function drawWhereSeen() {
    var PlotView;
    try {
      PlotView = Bokeh.require("models/plots/plot_canvas").PlotView;
    } catch (e) { return null; }
    var paint = PlotView && PlotView.prototype.paint;
    if (!window.IntersectionObserver || typeof paint !== "function"
        || PlotView.prototype.__wbHeldPaint) { return null; }
    var MARGIN = 200;  // px around the window drawn ahead of a scroll
    var near = new WeakMap();  // plot element -> in or near the window (the observer's word)
    var held = new Set();  // plot views whose paint waits until they are near the window
    var collected = null;  // while a patch is applied: the plot views asked to paint
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { near.set(entry.target, entry.isIntersecting); });
      held.forEach(function (view) {
        if (view.is_destroyed) { held.delete(view); observer.unobserve(view.el); return; }
        if (near.get(view.el) !== false) { draw(view); }
      });
    }, {rootMargin: MARGIN + "px"});
    function paintable(view) {
      return view.is_displayed && !view.is_paused && !view.model.hold_render;
    }
    function hold(view) {
      held.add(view);
      // its automatic ranges computed as its paint would (the models stay what they were
      // before: a page reads them, BokehJS sends them to the kernel); only drawing waits
      var ranges = view._range_manager;
      if (ranges && (ranges.invalidate_dataranges || view.model.window_axis != "none")) {
        ranges.update_dataranges();
      }
      // what BokehJS does for a plot it does not paint (not displayed): its renderers count
      // as finished, so the document still tells when it is idle
      view.computed_renderer_views.forEach(function (r) { r.force_finished(); });
      if (view._needs_notify) { view._needs_notify = false; view.notify_finished(); }
    }
    function draw(view) {  // as BokehJS's repaint, everything of the plot drawn anew
      if (!view.is_destroyed) {
        if (view.__wbStale) { layOutAlone(view); }
        if (view._invalidate_layout_if_needed) { view._invalidate_layout_if_needed(); }
        view.invalidate_painters();
        paint.call(view);
      }
      held.delete(view);
    }
    // A plot far from the window is not laid out with its chart (see above): its steps of a
    // chart's layout are skipped, and done for it alone when it is drawn
    var far = null;  // while a chart is laid out: the plots far from the window
    var quiet = null;  // the plot laid out alone, its paint left to `draw`
    var steps = ["measure_layout", "update_bbox", "_compute_layout", "_propagate_layout",
                 "after_layout"];
    var step = {};  // BokehJS's own steps (null where one is missing: all laid out)
    steps.forEach(function (name) { step[name] = PlotView.prototype[name]; });
    if (!steps.every(function (name) { return typeof step[name] === "function"; })) {
      step = null;
    }
    if (step) {
      steps.forEach(function (name) {
        PlotView.prototype[name] = function () {
          if (far && far.has(this)) { this.__wbStale = true; return false; }
          var result = step[name].apply(this, arguments);
          if (name === "after_layout") { this.__wbStale = false; this.__wbLaidOut = true; }
          return result;
        };
      });
    }
    function layOutAlone(view) {  // what a chart's layout does for each of its plots
      quiet = view;
      try {
        steps.forEach(function (name) {
          if (name !== "_propagate_layout") { step[name].call(view); }
        });
      } finally {
        quiet = null;
      }
      view.__wbStale = false;
      view.__wbLaidOut = true;
    }
    function plotsIn(view, found) {
      if (view instanceof PlotView) { found.push(view); }
      (view.child_views || []).forEach(function (child) { plotsIn(child, found); });
      return found;
    }
    function layOut(root) {  // BokehJS's layout of a chart (`invalidate_layout` at its root)
      if (!step || root.parent instanceof LayoutDOMView) { invalidate.call(root); return; }
      root.update_layout();  // the chart's CSS, every plot's size: one forced layout below
      far = new Set(plotsIn(root, []).filter(function (view) {
        return view.__wbLaidOut && !view.is_destroyed && view.is_displayed && !inWindow(view);
      }));
      var skipped = far;
      try {
        root.compute_layout();
      } finally {
        far = null;
        skipped.forEach(function (view) {
          if (!view.__wbStale) { return; }
          held.add(view);  // drawn (laid out first) when the observer says it is near
          observer.unobserve(view.el);  // observed anew: the observer says where it is now
          observer.observe(view.el);
          view.__wbObserved = true;
        });
      }
    }
    function inWindow(view) {
      var box = view.el.getBoundingClientRect();
      return box.bottom > -MARGIN && box.top < window.innerHeight + MARGIN
        && box.right > -MARGIN && box.left < window.innerWidth + MARGIN;
    }
    PlotView.prototype.__wbHeldPaint = true;
    PlotView.prototype.paint = function () {
      if (this === quiet) { return; }
      if (!this.__wbObserved && this.el) { this.__wbObserved = true; observer.observe(this.el); }
      if (paintable(this)) {
        if (collected) { collected.add(this); return; }
        if (near.get(this.el) === false) { hold(this); return; }
        if (this.__wbStale) { draw(this); return; }  // laid out alone first
      }
      held.delete(this);
      return paint.call(this);
    };
    var schedule = PlotView.prototype.schedule_paint;
    if (typeof schedule === "function") {
      // a paint asked for while a patch is applied (a changed text size, a range) is the
      // patch's: drawn (or held) once it is laid out, not drawn again at the next frame
      PlotView.prototype.schedule_paint = function () {
        if (collected && !this.is_paused) { collected.add(this); return; }
        return schedule.apply(this, arguments);
      };
    }
    window.addEventListener("beforeprint", function () {
      held.forEach(function (view) { draw(view); });
    });
    return {
      collect: function () { collected = new Set(); },
      layOut: layOut,
      release: function () {
        var views = collected;
        collected = null;
        if (!views) { return; }
        var shown = [];
        views.forEach(function (view) {
          if (view.is_destroyed || !paintable(view)) { return; }
          if (inWindow(view)) { shown.push(view); } else { hold(view); }
        });
        shown.forEach(function (view) {  // 6.: every place first, then every drawing
          if (view.__wbStale) { return; }  // laid out, then placed and drawn, by `draw`
          view.computed_renderer_views.forEach(function (r) {
            if (typeof r.update_position === "function") { r.update_position(); }
          });
        });
        shown.forEach(function (view) {
          draw(view);
        });
      },
      held: function () { return held.size; },
    };
  }
  Bokeh.__wbHeldPaints = function () { return visible ? visible.held() : 0; };
})();
