// The analyst page: log in with an API key, search, open entity cards with their link graph and
// explanation paths, work the day's queue, read alerts and record inspection results.
// Every call goes to Sekisho's own API; the key lives in sessionStorage for this tab only.
(function () {
  "use strict";
  var KEY = "sekisho.apiKey";
  var $ = function (id) { return document.getElementById(id); };
  var current = null;  // the entity card shown
  var picked = {};  // record id -> its pick in the queue shown, so a result keeps its selection
  var legalBases = [];  // what a purpose or a case may name (from /api/me)
  var role = null;
  // Saved searches and cases: analysts, the CT unit and administrators (the API's role gates say the same).
  function worksCases() { return ["analyst", "ct_unit", "admin"].indexOf(role) >= 0; }

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
      if (response.status === 204) return null;
      if (options.raw && response.ok) return response.text();
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
    legalBases = me.legal_bases || [];
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
      role = me.role;
      document.querySelector("nav button[data-view='cases']").hidden = !worksCases();
      $("saved-search-box").hidden = !worksCases();
      showPurpose(me);
      $("login").hidden = true; $("workspace").hidden = false; $("logout").hidden = false;
      $("login-error").textContent = "";
      loadPorts();
      if (worksCases()) window.SekishoSearches.load();
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
    if (view === "sources") loadSources();
    if (view === "cases") window.SekishoCases.load();
    if (view === "search" && worksCases()) window.SekishoSearches.load();
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
        li.appendChild(span(hit.kind + (hit.members > 1 ? " · " + hit.members + " records" : ""), "kind"));
        li.addEventListener("click", function () { openEntity(hit.id); });
        list.appendChild(li);
      });
    }).catch(function (err) { list.appendChild(item("Search failed: " + err.message)); });
  });

  // --- queue
  function loadPorts() {
    var day = $("queue-day").value || new Date().toISOString().slice(0, 10);
    $("queue-day").value = day;
    // Busiest port first: the queue opens where the most picks wait today.
    return api("/api/queue/workload?day=" + day).then(function (ports) {
      var select = $("queue-port");
      select.textContent = "";
      ports.forEach(function (p) {
        var o = document.createElement("option");
        o.value = p.port; o.textContent = p.port + " (" + p.pending + " pending of " + p.arrivals + ")";
        select.appendChild(o);
      });
    }).catch(function () { /* a role without queue access */ });
  }
  function loadQueue() {
    var list = $("queue-list"), port = $("queue-port").value;
    list.textContent = "";
    if (!port) { list.appendChild(item("No queue for this day.")); return; }
    api("/api/queue?port=" + encodeURIComponent(port) + "&day=" + $("queue-day").value).then(function (queue) {
      picked = {};
      queue.lanes.forEach(function (lane) {
        var name = lane.inspection === "exam" ? "Examination" : "X-ray";
        var used = lane.model_picks + lane.random_picks;
        var li = item(name + ": " + used + " of " + lane.capacity + " slots used, " + lane.unused + " unused" +
          (lane.unused ? " (no other candidate reached the minimum score " + lane.min_score.toFixed(2) + ")" : ""),
          { lane: lane.inspection });
        li.className = "lane";
        li.appendChild(span(lane.hit_rate == null ? "hit rate: no result recorded yet"
          : "hit rate " + Math.round(lane.hit_rate * 100) + "% (" + lane.findings + " of " + lane.inspected + " inspections found something)", "why"));
        list.appendChild(li);
      });
      queue.picks.forEach(function (pick) {
        picked[pick.record_id] = pick;
        var li = item("", { id: pick.record_id });
        li.appendChild(span("#" + pick.rank + " ", "rank"));
        li.appendChild(badge(pick.score, pick.selection === "random" ? "random" : ""));
        li.appendChild(span(pick.label, "label"));
        li.appendChild(span(pick.record_type + " · " + (pick.inspection === "exam" ? "examination" : "X-ray") +
          (pick.selection === "random" ? " · random exploration pick" : ""), "kind"));
        li.appendChild(span(pick.reason, "why"));
        (pick.explanation || []).forEach(function (why) { li.appendChild(span(why, "why")); });
        li.appendChild(caseButton("pick", pick.record_id, pick.label));
        li.addEventListener("click", function () { openEntity(pick.record_id); });
        list.appendChild(li);
      });
      if (!queue.picks.length) list.appendChild(item("Empty queue (" + queue.candidates + " arrivals)."));
    }).catch(function (err) { list.appendChild(item("Queue unavailable: " + err.message)); });
  }
  $("queue-form").addEventListener("submit", function (evt) { evt.preventDefault(); loadQueue(); });
  $("queue-day").addEventListener("change", loadPorts);

  // --- alerts: the latest alert per target with its triage; acknowledge, note, close with a disposition
  function alertQuery() {
    var params = [];
    [["state", "alert-state"], ["severity", "alert-severity"], ["port", "alert-port"]].forEach(function (f) {
      var v = $(f[1]).value.trim();
      if (v) params.push(f[0] + "=" + encodeURIComponent(v));
    });
    return params.length ? "?" + params.join("&") : "";
  }
  function alertButton(text, action) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.className = "small"; b.dataset.action = text.toLowerCase();
    b.addEventListener("click", function (evt) { evt.stopPropagation(); action(); });
    return b;
  }
  // "Open case" on an alert, a queue pick or an entity: the Cases view, its new-case form filled in.
  function caseButton(from, ref, label) {
    var b = alertButton("Open case", function () { show("cases"); window.SekishoCases.start(from, ref, label); });
    b.dataset.action = "open-case";
    return b;
  }
  function triage(a, path, body) {
    return api("/api/alerts/" + encodeURIComponent(a.key) + "/" + path, { method: "POST", body: body || {} })
      .then(loadAlerts).catch(function (err) { $("alert-counts").textContent = "Not saved: " + err.message; });
  }
  function loadAlerts() {
    var list = $("alert-list");
    list.textContent = "";
    api("/api/alerts/counts").then(function (c) {
      $("alert-counts").textContent = c.by_state.new + " new · " + c.by_state.acknowledged + " acknowledged · " +
        c.by_state.closed + " closed" + (c.escalated ? " · " + c.escalated + " escalated" : "") + " — by port: " +
        Object.keys(c.by_port).sort().map(function (p) { return p + " " + c.by_port[p]; }).join(", ");
    }).catch(function () { /* the list below says why */ });
    return api("/api/alerts" + alertQuery()).then(function (alerts) {
      alerts.forEach(function (a) {
        var li = item("", { id: a.record_id, key: a.key, state: a.state });
        li.appendChild(badge(a.score, "watch"));
        li.appendChild(span(a.title, "label"));
        li.appendChild(span(a.state + (a.escalated ? " · ESCALATED" : "") + (a.disposition ? " · " + a.disposition.replace(/_/g, " ") : "") +
          (a.assignee ? " · assigned to " + a.assignee : ""), "state " + a.state));
        li.appendChild(span(a.severity + " · " + new Date(a.created_at).toLocaleString(), "kind"));
        (a.reasons || []).concat(a.explanation || []).forEach(function (why) { li.appendChild(span(why, "why")); });
        // Web pages the alert rests on: each with its source's grade and a link to its archived copy.
        (a.evidence || []).forEach(function (e) {
          var finding = span("web finding on the path", "why web-evidence");
          finding.appendChild(gradeBadge(e.grade));
          // The copy is shown on the page's card (opened first), beside the page's other findings.
          finding.appendChild(evidenceLink(e.evidence, "archived copy", e.source_record ? function () {
            return openEntity(e.source_record);
          } : null));
          li.appendChild(finding);
        });
        (a.notes || []).forEach(function (n) { li.appendChild(span("note by " + n.author + ": " + n.text, "why note")); });
        var actions = document.createElement("div");
        actions.className = "actions";
        if (a.state === "new") actions.appendChild(alertButton("Acknowledge", function () { triage(a, "acknowledge"); }));
        if (a.state !== "closed") {
          var disposition = document.createElement("select");
          disposition.setAttribute("aria-label", "disposition");
          [["true_hit", "true hit"], ["false_positive", "false positive"], ["not_relevant", "not relevant"]].forEach(function (d) {
            var o = document.createElement("option"); o.value = d[0]; o.textContent = d[1]; disposition.appendChild(o);
          });
          disposition.addEventListener("click", function (evt) { evt.stopPropagation(); });
          actions.appendChild(disposition);
          actions.appendChild(alertButton("Close", function () { triage(a, "close", { disposition: disposition.value }); }));
        }
        actions.appendChild(caseButton("alert", a.key, a.label));
        actions.appendChild(alertButton("Note", function () {
          var text = window.prompt("Note on " + a.label);
          if (text) triage(a, "notes", { text: text });
        }));
        li.appendChild(actions);
        li.addEventListener("click", function () { openEntity(a.record_id); });
        list.appendChild(li);
      });
      if (!alerts.length) list.appendChild(item("No alerts."));
    }).catch(function (err) { list.appendChild(item("Alerts unavailable: " + err.message)); });
  }
  $("alert-filter").addEventListener("submit", function (evt) { evt.preventDefault(); loadAlerts(); });

  // --- sources: their grades, who changed them and why; analysts regrade (audited by the API)
  function loadSources() {
    var list = $("source-list"), select = $("regrade-source");
    list.textContent = ""; select.textContent = "";
    api("/api/sources").then(function (sources) {
      sources.forEach(function (s) {
        var li = item("", { source: s.name });
        li.appendChild(gradeBadge(s.grade));
        li.appendChild(span(s.name, "label"));
        li.appendChild(span(s.kind + " · " + s.meaning + (s.grade !== s.configured_grade ? " · configured " + s.configured_grade : ""), "kind"));
        s.history.slice(-3).forEach(function (c) {
          li.appendChild(span((c.previous || "?") + " → " + c.reliability + c.credibility + " by " + c.by + ": " + c.reason, "why"));
        });
        list.appendChild(li);
        var o = document.createElement("option"); o.value = s.name; o.textContent = s.name; select.appendChild(o);
      });
    }).catch(function (err) { list.appendChild(item("Sources unavailable: " + err.message)); });
  }
  $("regrade-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    var name = $("regrade-source").value;
    var body = { reliability: $("regrade-reliability").value, credibility: Number($("regrade-credibility").value),
                 reason: $("regrade-reason").value };
    api("/api/sources/" + encodeURIComponent(name) + "/grade", { method: "PUT", body: body }).then(function (s) {
      $("regrade-status").textContent = s.name + " is now " + s.meaning;
      loadSources();
    }).catch(function (err) { $("regrade-status").textContent = "Not regraded: " + err.message; });
  });

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
      showWebFacts(card);
      loadMembers(card.id, card.graph);
      showScreening(card);
      if (worksCases()) window.SekishoCases.cardControls(card); else $("card-case").textContent = "";
      $("inspection-status").textContent = "";
      $("card").scrollIntoView({ block: "start" });
    }).catch(function (err) {
      $("card").hidden = false;
      $("card-title").textContent = "Cannot open " + id + ": " + err.message;
    });
  }

  // --- match review: confirm, clear (false positive) or mark unsure each screening hit of the record
  function showScreening(card) {
    var list = $("screening-hits");
    list.textContent = "";
    $("screening").hidden = !((card.document || {}).screening || []).length;
    if ($("screening").hidden) return;
    api("/api/screening/hits?record_id=" + encodeURIComponent(card.id)).then(function (hits) {
      hits.forEach(function (h) {
        var li = item(h.query_name + " ≈ " + h.matched_name + " (" + h.list_name + " " + h.entry_id + ", " +
          h.score.toFixed(2) + ")", { entry: h.entry_id, status: h.status });
        li.appendChild(span(h.summary, "state " + (h.status === "cleared" ? "closed" : h.status)));
        if (h.decision && worksCases()) li.appendChild(window.SekishoCases.decisionButton(h.decision.id));
        [["confirm", "Confirm"], ["false_positive", "False positive"], ["unsure", "Unsure"]].forEach(function (v) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "small"; b.textContent = v[1]; b.dataset.verdict = v[0];
          b.addEventListener("click", function () {
            api("/api/screening/decisions", { method: "POST", body: { record_id: card.id, entry_id: h.entry_id,
              field: h.field, verdict: v[0] } }).then(function () { showScreening(card); })
              .catch(function (err) { li.appendChild(span("Not saved: " + err.message, "why")); });
          });
          li.appendChild(b);
        });
        list.appendChild(li);
      });
    }).catch(function (err) { list.appendChild(item("Screening review unavailable: " + err.message)); });
  }

  // --- web findings: every fact drawn from a crawled page, with its source's grade and its archived copy
  function gradeBadge(grade) {
    var s = span(grade || "ungraded", "grade" + (!grade || /^[D-F]|[4-6]$/.test(grade) ? " weak" : ""));
    s.title = "source reliability (A-F) and information credibility (1-6)";
    return s;
  }
  function evidenceLink(id, text, open) {
    var a = document.createElement("a");
    a.href = "#evidence"; a.textContent = text || "archived copy"; a.dataset.evidence = id;
    a.addEventListener("click", function (evt) {
      evt.preventDefault(); evt.stopPropagation();
      (open ? open() : Promise.resolve()).then(function () { showEvidence(id); });
    });
    return a;
  }
  function evidenceId(e) { return e ? e.warc_file + ":" + e.offset : null; }
  function showWebFacts(card) {
    var list = $("web-fact-list"), doc = card.document || {}, labels = {};
    list.textContent = "";
    $("evidence-copy").hidden = true;
    card.graph.nodes.forEach(function (n) { labels[n.id] = n.label; });
    if (doc.record_type === "crawled_page") {
      var grade = doc.reliability && doc.credibility ? doc.reliability + doc.credibility : null;
      var li = item("this page (" + doc.source_name + ") fetched " + (doc.fetched_at || "?").slice(0, 19).replace("T", " "));
      li.appendChild(gradeBadge(grade));
      if (doc.evidence) li.appendChild(evidenceLink(evidenceId(doc.evidence)));
      (doc.changes || []).forEach(function (c) {
        li.appendChild(span(c.field + ": " + (c.before == null ? "–" : c.before) + " → " + (c.after == null ? "–" : c.after), "change"));
      });
      if (doc.previous_evidence) li.appendChild(evidenceLink(evidenceId(doc.previous_evidence), "previous copy"));
      list.appendChild(li);
    }
    // Names found on the page (NER): each points to the copy it was read in.
    (doc.mentions || []).filter(function (m) { return m.evidence; }).forEach(function (m) {
      var li = item("name “" + m.text + "” (" + m.label + ") found in " + (m.field || "the page"));
      li.classList.add("mention");
      li.appendChild(gradeBadge(m.evidence.grade));
      li.appendChild(evidenceLink(m.evidence.evidence));
      list.appendChild(li);
    });
    card.graph.edges.filter(function (e) { return e.evidence || e.grade; }).forEach(function (e) {
      var li = item((labels[e.source] || e.source) + " — " + e.relation.replace(/_/g, " ") + " → " + (labels[e.target] || e.target));
      li.appendChild(gradeBadge(e.grade));
      if (e.evidence) li.appendChild(evidenceLink(e.evidence));
      list.appendChild(li);
    });
    $("web-facts").hidden = !list.children.length;
  }
  function showEvidence(id) {
    var pre = $("evidence-copy");
    pre.hidden = false; pre.textContent = "Loading " + id + " …";
    api("/api/evidence/" + encodeURIComponent(id)).then(function (copy) {
      var lines = ["evidence " + copy.id, copy.url, "fetched " + copy.fetched_at,
                   "digest " + copy.digest + (copy.digest_ok ? " (verified)" : " (MISMATCH: the stored copy was altered)"), ""];
      if (copy.request_line) lines.push("> " + copy.request_line);
      copy.request_headers.forEach(function (h) { lines.push("> " + h[0] + ": " + h[1]); });
      lines.push("", "< " + copy.status_line);
      copy.response_headers.forEach(function (h) { lines.push("< " + h[0] + ": " + h[1]); });
      lines.push("", copy.body_text);
      pre.textContent = lines.join("\n");
    }).catch(function (err) { pre.textContent = "Evidence unavailable: " + err.message; });
  }

  // --- the records of one entity, why they merged, and the analyst's word on each merge
  // Records drawn as one node without a resolved entity (a company's records and its organisation name, a
  // flight leg record and its flight) are listed from the graph when resolution has no other record.
  function drawnRecords(graph, entity) {
    var centre = ((graph && graph.nodes) || []).filter(function (n) { return n.id === graph.center; })[0];
    if (!centre || entity.members.length > 1) return [];
    var listed = entity.members.map(function (m) { return m.record_id; });
    return (centre.members || []).filter(function (rid) { return listed.indexOf(rid) < 0; });
  }
  function loadMembers(id, graph) {
    var list = $("members");
    list.textContent = "";
    $("judgement-status").textContent = "";
    return api("/api/entities/" + encodeURIComponent(id) + "/members").then(function (entity) {
      entity.members.forEach(function (member) {
        var li = item("", { id: member.record_id });
        var link = span(member.record_type + " " + member.record_id, "label");
        link.addEventListener("click", function () { openEntity(member.record_id); });
        li.appendChild(link);
        (member.reasons || []).forEach(function (why) { li.appendChild(span(why, "why")); });
        if (member.record_id !== entity.entity_id) {
          ["confirm", "reject", "unsure"].forEach(function (verdict) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = verdict;
            button.dataset.verdict = verdict;
            button.addEventListener("click", function () { judge(member.record_id, entity.entity_id, verdict, id); });
            li.appendChild(button);
          });
        }
        list.appendChild(li);
      });
      drawnRecords(graph, entity).forEach(function (rid) {
        var li = item("", { id: rid });
        var link = span("record " + rid, "label");
        link.addEventListener("click", function () { openEntity(rid); });
        li.appendChild(link);
        li.appendChild(span("same booking locator, flight or organisation name in the link graph", "why"));
        list.appendChild(li);
      });
      (entity.judgements || []).forEach(function (j) {
        list.appendChild(item(j.verdict + " " + j.left + " / " + j.right + " by " + j.analyst + " at " + j.judged_at));
      });
    }).catch(function (err) { list.appendChild(item("Records unavailable: " + err.message)); });
  }

  function judge(left, right, verdict, reopen) {
    var body = { left: left, right: right, verdict: verdict };
    return api("/api/resolution/judgements", { method: "POST", body: body }).then(function (entity) {
      return loadMembers(reopen).then(function () {
        $("judgement-status").textContent = verdict + " recorded; the entity of " + left + " has " +
          entity.members.length + " record" + (entity.members.length === 1 ? "" : "s");
      });
    }).catch(function (err) { $("judgement-status").textContent = "Not recorded: " + err.message; });
  }

  $("inspection-form").addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (!current) return;
    var revenue = $("inspection-revenue").value;
    var body = { record_id: current.id, outcome: $("inspection-outcome").value,
                 notes: $("inspection-notes").value || null,
                 revenue_recovered: revenue === "" ? 0 : Number(revenue) };
    var pick = picked[current.id];
    if (pick) {
      body.selection = pick.selection; body.score = pick.score; body.inspection = pick.inspection;
      body.port = $("queue-port").value;
    }
    api("/api/inspections", { method: "POST", body: body }).then(function (saved) {
      $("inspection-status").textContent = "Saved: " + saved.outcome.replace(/_/g, " ") + " by " + saved.officer +
        " (" + saved.id + ")";
    }).catch(function (err) { $("inspection-status").textContent = "Not saved: " + err.message; });
  });

  // What searches.js and cases.js use of this page.
  window.Sekisho = { api: api, item: item, span: span, button: alertButton, openEntity: openEntity, show: show,
                     caseButton: caseButton, legalBases: function () { return legalBases; },
                     role: function () { return role; },
                     purpose: function () { return $("purpose-ref").value.trim(); },
                     setPurpose: function (ref, basis) { $("purpose-ref").value = ref; $("purpose-basis").value = basis; } };

  if (sessionStorage.getItem(KEY)) login(sessionStorage.getItem(KEY)).catch(function () { logout(""); });
})();
