// A small force-directed drawing of a neighbourhood graph in SVG: no library, no network.
// SekishoGraph.draw(svg, view, onOpen) lays out view.nodes / view.edges, marks view.paths[0]
// and returns {highlight(i)} to mark another path. Nodes can be dragged; a click opens the node.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 800, H = 520, PAD = 30, LABEL = 170;  // room on the right for node labels

  function el(name, attrs) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function short(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  function layout(nodes, edges, centerId) {
    var index = {}, pos = [], n = nodes.length;
    nodes.forEach(function (node, i) {
      index[node.id] = i;
      var a = (2 * Math.PI * i) / Math.max(n, 1);
      pos.push({ x: (W - LABEL + PAD) / 2 + (W / 4) * Math.cos(a), y: H / 2 + (H / 3) * Math.sin(a), dx: 0, dy: 0 });
    });
    if (centerId in index) { pos[index[centerId]].x = (W - LABEL + PAD) / 2; pos[index[centerId]].y = H / 2; }
    var links = edges.filter(function (e) { return e.source in index && e.target in index; })
      .map(function (e) { return [index[e.source], index[e.target]]; });
    var k = Math.sqrt(((W - PAD - LABEL) * (H - 2 * PAD)) / Math.max(n, 1)) * 0.75;
    var temperature = W / 8;
    for (var it = 0; it < 300; it++) {
      for (var i = 0; i < n; i++) { pos[i].dx = 0; pos[i].dy = 0; }
      for (i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
          var dx = pos[i].x - pos[j].x, dy = pos[i].y - pos[j].y;
          var d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01), f = (k * k) / d;
          pos[i].dx += (dx / d) * f; pos[i].dy += (dy / d) * f;
          pos[j].dx -= (dx / d) * f; pos[j].dy -= (dy / d) * f;
        }
      }
      links.forEach(function (l) {
        var a = pos[l[0]], b = pos[l[1]];
        var dx = a.x - b.x, dy = a.y - b.y, d = Math.max(Math.sqrt(dx * dx + dy * dy), 0.01), f = (d * d) / k;
        a.dx -= (dx / d) * f; a.dy -= (dy / d) * f; b.dx += (dx / d) * f; b.dy += (dy / d) * f;
      });
      for (i = 0; i < n; i++) {
        if (nodes[i].id === centerId) continue;
        var len = Math.max(Math.sqrt(pos[i].dx * pos[i].dx + pos[i].dy * pos[i].dy), 0.01);
        pos[i].x += (pos[i].dx / len) * Math.min(len, temperature);
        pos[i].y += (pos[i].dy / len) * Math.min(len, temperature);
        pos[i].x = Math.min(W - LABEL, Math.max(PAD, pos[i].x));
        pos[i].y = Math.min(H - PAD, Math.max(PAD, pos[i].y));
      }
      temperature *= 0.985;
    }
    return { index: index, pos: pos };
  }

  function draw(svg, view, onOpen) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var nodes = view.nodes, edges = view.edges;
    var placed = layout(nodes, edges, view.center);
    var edgeGroup = el("g"), labelGroup = el("g"), nodeGroup = el("g");
    svg.appendChild(edgeGroup); svg.appendChild(labelGroup); svg.appendChild(nodeGroup);
    var edgeEls = {}, nodeEls = {};

    edges.forEach(function (e) {
      if (!(e.source in placed.index) || !(e.target in placed.index)) return;
      var line = el("line", { "class": "edge", "data-edge": e.id });
      var label = el("text", { "class": "edge-label", "text-anchor": "middle" });
      label.textContent = e.relation;
      var title = el("title"); title.textContent = e.relation + (e.detail ? ": " + e.detail : "");
      line.appendChild(title);
      edgeGroup.appendChild(line); labelGroup.appendChild(label);
      edgeEls[e.id] = { line: line, label: label, edge: e };
    });

    nodes.forEach(function (node) {
      var classes = ["node"];
      if (node.watchlisted) classes.push("watchlisted");
      else if ((node.risk || 0) >= 0.3) classes.push("risky");
      if (node.id === view.center) classes.push("center");
      var g = el("g", { "class": classes.join(" "), "data-node": node.id, tabindex: "0" });
      var r = node.id === view.center ? 13 : node.watchlisted ? 11 : 8;
      g.appendChild(el("circle", { r: r }));
      var text = el("text", { x: r + 3, y: 4 });
      text.textContent = short(node.label, 30);
      g.appendChild(text);
      var title = el("title");
      title.textContent = node.kind + ": " + node.label + (node.risk != null ? " (risk " + node.risk.toFixed(2) + ")" : "");
      g.appendChild(title);
      nodeGroup.appendChild(g);
      nodeEls[node.id] = g;
    });

    function place() {
      Object.keys(nodeEls).forEach(function (id) {
        var p = placed.pos[placed.index[id]];
        nodeEls[id].setAttribute("transform", "translate(" + p.x.toFixed(1) + "," + p.y.toFixed(1) + ")");
      });
      Object.keys(edgeEls).forEach(function (id) {
        var e = edgeEls[id].edge, a = placed.pos[placed.index[e.source]], b = placed.pos[placed.index[e.target]];
        var line = edgeEls[id].line, label = edgeEls[id].label;
        line.setAttribute("x1", a.x); line.setAttribute("y1", a.y);
        line.setAttribute("x2", b.x); line.setAttribute("y2", b.y);
        label.setAttribute("x", (a.x + b.x) / 2); label.setAttribute("y", (a.y + b.y) / 2 - 3);
      });
    }
    place();

    // Dragging moves a node; a press without movement opens it.
    var dragging = null;
    function point(evt) {
      var m = svg.getScreenCTM().inverse(), p = svg.createSVGPoint();
      p.x = evt.clientX; p.y = evt.clientY;
      return p.matrixTransform(m);
    }
    Object.keys(nodeEls).forEach(function (id) {
      nodeEls[id].addEventListener("pointerdown", function (evt) {
        dragging = { id: id, moved: false };
        svg.setPointerCapture(evt.pointerId);
      });
      nodeEls[id].addEventListener("keydown", function (evt) { if (evt.key === "Enter") onOpen(id); });
    });
    svg.onpointermove = function (evt) {
      if (!dragging) return;
      var p = point(evt), pos = placed.pos[placed.index[dragging.id]];
      pos.x = Math.min(W - LABEL, Math.max(5, p.x)); pos.y = Math.min(H - 5, Math.max(5, p.y));
      dragging.moved = true;
      place();
    };
    svg.onpointerup = function () {
      if (dragging && !dragging.moved && dragging.id !== view.center) onOpen(dragging.id);
      dragging = null;
    };

    function highlight(i) {
      var path = view.paths[i] || { nodes: [], edges: [] };
      Object.keys(edgeEls).forEach(function (id) {
        var on = path.edges.indexOf(id) >= 0;
        edgeEls[id].line.classList.toggle("on-path", on);
        edgeEls[id].label.classList.toggle("on-path", on);
      });
      Object.keys(nodeEls).forEach(function (id) {
        nodeEls[id].classList.toggle("on-path", path.nodes.indexOf(id) >= 0);
      });
    }
    highlight(0);
    return { highlight: highlight };
  }

  window.SekishoGraph = { draw: draw };
})();
