// The analyst page: log in with an API key, search, open entity cards with their link graph and
// explanation paths, work the day's queue, read alerts and record inspection results.
// Every call goes to Sekisho's own API; the key lives in sessionStorage for this tab only.
(function () {
  "use strict";
  var KEY = "sekisho.apiKey";
  var $ = function (id) { return document.getElementById(id); };
  var current = null;  // the entity card shown
  var picked = {};  // record id -> its pick in the queue shown, so a result keeps its selection

  function api(path, options) {
    options = options || {};
    var headers = Object.assign({ Authorization: "Bearer " + sessionStorage.getItem(KEY) }, purposeHeaders(),
                                options.headers || {});
    if (options.body && typeof options.body !== "string") {
      options.body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    return fetch(path, Object.assign({}, options, { headers: headers })).then(function (response) {
      if (response.status === 401) { logout("Your key was not accepted."); throw new Error("unauthorised"); }
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data && data.detail) || response.statusText);
        return data;
      });
    });
  }

  function item(text, extra) {
    var li = document.createElement("li");
    li.textContent = text;
    if (extra) Object.keys(extra).forEach(function (k) { li.dataset[k] = extra[k]; });
    return li;
  }

  function badge(value, cls) {
    var span = document.createElement("span");
    span.className = "badge" + (cls ? " " + cls : "");
    span.textContent = value == null ? "–" : Number(value).toFixed(2);
    return span;
  }

  function span(text, cls) {
    var s = document.createElement("span");
    s.className = cls; s.textContent = text;
    return s;
  }

  // --- purpose: a case or alert reference and a legal basis, sent with every call when both are given
  function purposeHeaders() {
    var ref = $("purpose-ref").value.trim(), basis = $("purpose-basis").value;
    return ref && basis ? { "X-Sekisho-Purpose": ref, "X-Sekisho-Legal-Basis": basis } : {};
  }

  $("purpose").addEventListener("submit", function (evt) { evt.preventDefault(); });

  function showPurpose(me) {
    var select = $("purpose-basis");
    while (select.options.length > 1) select.remove(1);
    (me.legal_bases || []).forEach(function (basis) { select.add(new Option(basis, basis)); });
    $("purpose").hidden = !me.purpose_required;
  }

  // --- login
  function login(key) {
    sessionStorage.setItem(KEY, key);
    return api("/api/me").then(function (me) {
      $("whoami").textContent = me.name + " · " + me.role;
      showPurpose(me);
      $("login").hidden = true; $("workspace").hidden = false; $("logout").hidden = false;
      $("login-error").textContent = "";
      loadPorts();
    });
  }

  function logout(message) {
    sessionStorage.removeItem(KEY);
    $("login").hidden = false; $("workspace").hidden = true; $("logout").hidden = true;
    $("whoami").textContent = "";
    $("login-error").textContent = message || "";
  }

  $("login-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    login($("api-key").value.trim()).catch(function (err) {
      if (err.message !== "unauthorised") logout(err.message);
    });
  });
  $("logout").addEventListener("click", function () { logout(""); });

  // --- views
  document.querySelectorAll("nav button").forEach(function (button) {
    button.addEventListener("click", function () { show(button.dataset.view); });
  });
  function show(view) {
    document.querySelectorAll("nav button").forEach(function (b) { b.classList.toggle("active", b.dataset.view === view); });
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.id !== "view-" + view; });
    if (view === "alerts") loadAlerts();
    if (view === "queue") loadQueue();
  }

  // --- search
  $("search-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    var list = $("search-results");
    list.textContent = "";
    api("/api/search?q=" + encodeURIComponent($("search-q").value)).then(function (hits) {
      if (!hits.length) list.appendChild(item("No match."));
      hits.forEach(function (hit) {
        var li = item("", { id: hit.id });
        li.appendChild(badge(hit.risk, hit.watchlisted ? "watch" : ""));
        li.appendChild(span(hit.label, "label"));
        li.appendChild(span(hit.kind, "kind"));
        li.addEventListener("click", function () { openEntity(hit.id); });
        list.appendChild(li);
      });
    }).catch(function (err) { list.appendChild(item("Search failed: " + err.message)); });
  });

  // --- queue
  function loadPorts() {
    var day = $("queue-day").value || new Date().toISOString().slice(0, 10);
    $("queue-day").value = day;
    api("/api/queue/ports?day=" + day).then(function (ports) {
      var select = $("queue-port");
      select.textContent = "";
      ports.forEach(function (p) { var o = document.createElement("option"); o.value = p; o.textContent = p; select.appendChild(o); });
    }).catch(function () { /* a role without queue access */ });
  }
  function loadQueue() {
    var list = $("queue-list"), port = $("queue-port").value;
    list.textContent = "";
    if (!port) { list.appendChild(item("No queue for this day.")); return; }
    api("/api/queue?port=" + encodeURIComponent(port) + "&day=" + $("queue-day").value).then(function (queue) {
      picked = {};
      queue.picks.forEach(function (pick) {
        picked[pick.record_id] = pick;
        var li = item("", { id: pick.record_id });
        li.appendChild(span("#" + pick.rank + " ", "rank"));
        li.appendChild(badge(pick.score, pick.selection === "random" ? "random" : ""));
        li.appendChild(span(pick.label, "label"));
        li.appendChild(span(pick.record_type + " · " + (pick.inspection === "exam" ? "examination" : "X-ray") +
          (pick.selection === "random" ? " · random pick" : ""), "kind"));
        li.appendChild(span(pick.reason, "why"));
        (pick.explanation || []).forEach(function (why) { li.appendChild(span(why, "why")); });
        li.addEventListener("click", function () { openEntity(pick.record_id); });
        list.appendChild(li);
      });
      if (!queue.picks.length) list.appendChild(item("Empty queue (" + queue.candidates + " arrivals)."));
    }).catch(function (err) { list.appendChild(item("Queue unavailable: " + err.message)); });
  }
  $("queue-form").addEventListener("submit", function (evt) { evt.preventDefault(); loadQueue(); });
  $("queue-day").addEventListener("change", loadPorts);

  // --- alerts
  function loadAlerts() {
    var list = $("alert-list");
    list.textContent = "";
    api("/api/alerts").then(function (alerts) {
      alerts.forEach(function (a) {
        var li = item("", { id: a.record_id });
        li.appendChild(badge(a.score, "watch"));
        li.appendChild(span(a.title, "label"));
        li.appendChild(span(a.severity + " · " + new Date(a.created_at).toLocaleString(), "kind"));
        (a.reasons || []).concat(a.explanation || []).forEach(function (why) { li.appendChild(span(why, "why")); });
        li.addEventListener("click", function () { openEntity(a.record_id); });
        list.appendChild(li);
      });
      if (!alerts.length) list.appendChild(item("No alerts."));
    }).catch(function (err) { list.appendChild(item("Alerts unavailable: " + err.message)); });
  }

  // --- entity card
  function openEntity(id) {
    return api("/api/entities/" + encodeURIComponent(id)).then(function (card) {
      current = card;
      $("card").hidden = false;
      $("card-title").textContent = card.label;
      $("card-meta").textContent = card.kind + " · risk " + (card.risk == null ? "–" : card.risk.toFixed(2)) +
        (card.watchlisted ? " · WATCHLISTED" : "") + " · " + card.graph.nodes.length + " nodes";
      $("card-explanation").textContent = card.explanation || "";
      $("card-document").textContent = JSON.stringify(card.document, null, 2);
      var drawing = window.SekishoGraph.draw($("graph"), card.graph, openEntity);
      var paths = $("paths");
      paths.textContent = "";
      card.graph.paths.forEach(function (p, i) {
        var li = item(p.explanation + " (risk " + p.risk.toFixed(2) + ")");
        if (i === 0) li.classList.add("selected");
        li.addEventListener("click", function () {
          drawing.highlight(i);
          paths.querySelectorAll("li").forEach(function (x) { x.classList.toggle("selected", x === li); });
        });
        paths.appendChild(li);
      });
      if (!card.graph.paths.length) paths.appendChild(item("No path to a watchlisted node within reach."));
      $("inspection-status").textContent = "";
      $("card").scrollIntoView({ block: "start" });
    }).catch(function (err) {
      $("card").hidden = false;
      $("card-title").textContent = "Cannot open " + id + ": " + err.message;
    });
  }

  $("inspection-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (!current) return;
    var revenue = $("inspection-revenue").value;
    var body = { record_id: current.id, outcome: $("inspection-outcome").value,
                 notes: $("inspection-notes").value || null,
                 revenue_recovered: revenue === "" ? 0 : Number(revenue) };
    var pick = picked[current.id];
    if (pick) { body.selection = pick.selection; body.score = pick.score; body.port = $("queue-port").value; }
    api("/api/inspections", { method: "POST", body: body }).then(function (saved) {
      $("inspection-status").textContent = "Saved: " + saved.outcome.replace(/_/g, " ") + " by " + saved.officer +
        " (" + saved.id + ")";
    }).catch(function (err) { $("inspection-status").textContent = "Not saved: " + err.message; });
  });

  if (sessionStorage.getItem(KEY)) login(sessionStorage.getItem(KEY)).catch(function () { logout(""); });
})();
