// A small force-directed drawing of a neighbourhood graph in SVG: no library, no network.
// SekishoGraph.draw(svg, view, onOpen) lays out view.nodes / view.edges, marks view.paths[0]
// and returns {highlight(i)} to mark another path. Nodes can be dragged; a click opens the node.
// Readability: a hub's leaf neighbours of one relation (a flight's co-travellers, a forwarder's
// consignments, each with its air waybill) are drawn as one node "+N" that expands on click;
// relation checkboxes above the drawing hide edge types; labels that would overlap another are left out (their title remains);
// the explanation path is never collapsed nor filtered out. The API already draws each resolved entity as one
// node (its records in node.members, "· N records" on its label); its card lists the records.
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

  var HUB_LEAVES = 6;  // a hub's leaves of one relation beyond this many are drawn as one node

  // The view as drawn: hidden relations removed, each hub's big groups of leaves folded into one node.
  function fold(view, hidden, expanded) {
    var onPath = {};
    view.paths.forEach(function (p) {
      p.nodes.forEach(function (id) { onPath[id] = true; });
      p.edges.forEach(function (id) { onPath[id] = true; });
    });
    var edges = view.edges.filter(function (e) { return onPath[e.id] || !hidden[e.relation]; });
    var adjacent = {};  // node id -> [[neighbour id, edge id]]
    edges.forEach(function (e) {
      (adjacent[e.source] = adjacent[e.source] || []).push([e.target, e.id]);
      (adjacent[e.target] = adjacent[e.target] || []).push([e.source, e.id]);
    });
    var byId = {}; view.nodes.forEach(function (n) { byId[n.id] = n; });
    // A twig of a hub: a node whose other neighbours hang on it alone (a co-traveller; a forwarder's
    // consignment with its air waybill). Twigs never hold the centre or an explanation path.
    function twig(hub, leaf) {
      if (onPath[leaf] || leaf === view.center || !byId[leaf]) return null;
      var nodes = [leaf], edgeIds = [];
      var ok = adjacent[leaf].every(function (pair) {
        if (pair[0] === hub) return true;
        var pendant = pair[0];
        if (onPath[pendant] || pendant === view.center || adjacent[pendant].length !== 1) return false;
        nodes.push(pendant); edgeIds.push(pair[1]);
        return true;
      });
      var toHub = adjacent[leaf].filter(function (pair) { return pair[0] === hub; }).length;
      return ok && toHub === 1 ? { nodes: nodes, edges: edgeIds } : null;
    }
    var groups = {};
    edges.forEach(function (e) {
      [[e.source, e.target], [e.target, e.source]].forEach(function (pair) {
        var hub = pair[0], leaf = pair[1], found = twig(hub, leaf);
        if (!found) return;
        var key = "group:" + hub + ":" + e.relation + ":" + byId[leaf].kind;
        (groups[key] = groups[key] || { hub: hub, relation: e.relation, kind: byId[leaf].kind, leaves: [], edges: [] });
        groups[key].leaves.push(leaf);
        groups[key].edges.push(e.id);
        groups[key].nodes = (groups[key].nodes || []).concat(found.nodes);
        groups[key].edges = groups[key].edges.concat(found.edges);
      });
    });
    var folded = {}, foldedEdges = {}, extraNodes = [], extraEdges = [];
    Object.keys(groups).forEach(function (key) {
      var g = groups[key];
      if (g.leaves.length <= HUB_LEAVES || expanded[key]) return;
      g.nodes.forEach(function (id) { folded[id] = true; });
      g.edges.forEach(function (id) { foldedEdges[id] = true; });
      extraNodes.push({ id: key, kind: g.kind, label: "+" + g.leaves.length + " " + g.kind + " (" + g.relation.replace(/_/g, " ") + ")",
                        group: true, count: g.leaves.length });
      extraEdges.push({ id: key + ":edge", source: g.hub, target: key, relation: g.relation, detail: g.leaves.length + " records" });
    });
    var present = {};
    var nodes = view.nodes.filter(function (n) { return !folded[n.id]; }).concat(extraNodes);
    nodes.forEach(function (n) { present[n.id] = true; });
    edges = edges.filter(function (e) { return !foldedEdges[e.id] && present[e.source] && present[e.target]; }).concat(extraEdges);
    return { center: view.center, nodes: nodes, edges: edges, paths: view.paths };
  }

  function overlaps(a, b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }

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

  function drawFolded(svg, view, onOpen, onExpand) {
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
      if (node.group) classes.push("hub-group");
      var g = el("g", { "class": classes.join(" "), "data-node": node.id, tabindex: "0" });
      if (node.group) g.setAttribute("data-count", node.count);
      var r = node.id === view.center ? 13 : node.watchlisted ? 11 : node.group ? 12 : 8;
      g.appendChild(el("circle", { r: r }));
      var text = el("text", { x: r + 3, y: 4 });
      var records = (node.members || []).length;  // a resolved entity drawn as one node: its count of records
      g.setAttribute("data-label", node.label); g.setAttribute("data-kind", node.kind);
      if (records) g.setAttribute("data-records", records);
      // A list entry is drawn apart from the record it matched (the match is the evidence), named with its list.
      text.textContent = short(node.label, 30) + (records ? " · " + records + " records" : "") +
        (node.kind === "watchlist_entry" && node.list_name ? " · " + node.list_name : "");
      g.appendChild(text);
      g.sekishoLabel = { text: text, r: r, width: 6 * text.textContent.length };
      var title = el("title");
      title.textContent = node.kind + ": " + node.label + (node.risk != null ? " (risk " + node.risk.toFixed(2) + ")" : "") +
        (records ? "; one entity of " + records + " records, listed in its card" : "");
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
      spreadLabels();
    }

    // Labels: the center, the path and watchlisted nodes first; each takes the first free spot around its
    // node (right, left, below, above) or is left out. Edge labels only on the path, or in small drawings.
    function spreadLabels() {
      var taken = [];
      Object.keys(nodeEls).forEach(function (id) {
        var p = placed.pos[placed.index[id]];
        taken.push({ x: p.x - 8, y: p.y - 8, w: 16, h: 16 });
      });
      var order = Object.keys(nodeEls).sort(function (a, b) {
        function rank(id) {
          var cls = nodeEls[id].classList;
          return id === view.center ? 0 : cls.contains("on-path") ? 1 : cls.contains("watchlisted") ? 2 : cls.contains("hub-group") ? 3 : 4;
        }
        return rank(a) - rank(b);
      });
      order.forEach(function (id) {
        var p = placed.pos[placed.index[id]], info = nodeEls[id].sekishoLabel, h = 12, r = info.r;
        info.text.removeAttribute("display");  // measured as rendered; the estimate when it cannot be
        var w = Math.ceil(info.text.getComputedTextLength() || 0) + 2;
        if (w <= 2) w = info.width;
        var spots = [[r + 3, -h / 2, "start"], [-r - 3 - w, -h / 2, "end"], [-w / 2, r + 2, "middle"], [-w / 2, -r - h - 2, "middle"]];
        var placedAt = null;
        for (var i = 0; i < spots.length && !placedAt; i++) {
          var box = { x: p.x + spots[i][0], y: p.y + spots[i][1], w: w, h: h };
          if (box.x < 0 || box.x + w > W || box.y < 0 || box.y + h > H) continue;
          if (!taken.some(function (t) { return overlaps(t, box) && !(t.x === p.x - 8 && t.y === p.y - 8); })) placedAt = spots[i];
        }
        if (placedAt) {
          var anchorX = placedAt[2] === "start" ? placedAt[0] : placedAt[2] === "end" ? -r - 3 : 0;
          info.text.setAttribute("x", anchorX); info.text.setAttribute("y", placedAt[1] + h - 2);
          info.text.setAttribute("text-anchor", placedAt[2]);
          info.text.removeAttribute("display");
          taken.push({ x: p.x + placedAt[0], y: p.y + placedAt[1], w: w, h: h });
        } else {
          info.text.setAttribute("display", "none");
        }
      });
      var few = Object.keys(edgeEls).length <= 20;
      Object.keys(edgeEls).forEach(function (id) {
        var show = few || edgeEls[id].line.classList.contains("on-path");
        if (show) edgeEls[id].label.removeAttribute("display"); else edgeEls[id].label.setAttribute("display", "none");
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
      if (dragging && !dragging.moved && dragging.id !== view.center) {
        if (dragging.id.indexOf("group:") === 0) onExpand(dragging.id); else onOpen(dragging.id);
      }
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
      spreadLabels();
    }
    return { highlight: highlight };
  }

  // Relation checkboxes (above the drawing) and the expanded hubs; each change redraws.
  function draw(svg, view, onOpen) {
    var hidden = {}, expanded = {}, current = 0, drawing = null;
    var bar = document.getElementById(svg.id + "-filters");
    if (!bar) {
      bar = document.createElement("div");
      bar.id = svg.id + "-filters"; bar.className = "graph-filters";
      bar.setAttribute("data-testid", "graph-filters");
      svg.parentNode.insertBefore(bar, svg);
    }
    bar.textContent = "";
    var relations = {};
    view.edges.forEach(function (e) { relations[e.relation] = (relations[e.relation] || 0) + 1; });
    Object.keys(relations).sort().forEach(function (relation) {
      var label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.checked = true; box.value = relation;
      box.addEventListener("change", function () { hidden[relation] = !box.checked; redraw(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + relation.replace(/_/g, " ") + " (" + relations[relation] + ")"));
      bar.appendChild(label);
    });
    function redraw() {
      drawing = drawFolded(svg, fold(view, hidden, expanded), onOpen, function (key) { expanded[key] = true; redraw(); });
      drawing.highlight(current);
    }
    redraw();
    return { highlight: function (i) { current = i; drawing.highlight(i); } };
  }

  window.SekishoGraph = { draw: draw };
})();
