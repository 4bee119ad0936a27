// Cases: open one from an alert, a queue pick or an entity card under a legal basis; gather entities,
// notes and evidence links; close it; export it as FollowTheMoney entities or as a standalone HTML
// report (both downloaded). The case id is the purpose PNR access cites ("Work under this case").
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var S = function () { return window.Sekisho; };
  var origin = null;  // {from, ref, label} of the case being opened
  var shown = null;  // the case in the detail panel
  var openCases = [];

  function status(text) { $("case-status").textContent = text; }
  function count(items, one, many) { return items.length + " " + (items.length === 1 ? one : many || one + "s"); }

  function fillBases(select) {
    select.textContent = "";
    S().legalBases().forEach(function (basis) { select.add(new Option(basis, basis)); });
  }

  function start(from, ref, label) {
    origin = { from: from, ref: ref, label: label };
    $("case-new").hidden = false;
    $("case-origin").textContent = "New case from " + (from === "pick" ? "queue pick" : from) + ": " + label;
    $("case-title").value = label;
    fillBases($("case-basis"));
    $("case-title").focus();
  }

  $("case-new").addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (!origin) return;
    var body = { title: $("case-title").value, legal_basis: $("case-basis").value, opened_from: origin.from,
                 ref: origin.ref };
    S().api("/api/cases", { method: "POST", body: body }).then(function (c) {
      $("case-new").hidden = true; origin = null;
      status("Opened case " + c.id + "; PNR access for it cites case:" + c.id + " under " + c.legal_basis);
      show(c);
      return load();
    }).catch(function (err) { status("Not opened: " + err.message); });
  });

  function load() {
    var list = $("case-list"), state = $("case-state").value;
    return S().api("/api/cases" + (state ? "?state=" + state : "")).then(function (cases) {
      list.textContent = "";
      if (state === "open") openCases = cases;
      cases.forEach(function (c) {
        var li = S().item("", { id: c.id, state: c.state });
        li.appendChild(S().span(c.id + " " + c.title, "label"));
        li.appendChild(S().span(c.state, "state " + (c.state === "closed" ? "closed" : "")));
        li.appendChild(S().span(c.owner + " · " + c.legal_basis + " · " + count(c.alerts, "alert") + ", " +
          count(c.entities, "entity", "entities") + ", " + count(c.notes, "note"), "why"));
        if (shown && shown.id === c.id) li.classList.add("selected");
        li.addEventListener("click", function () {
          $("case-new").hidden = true; origin = null;  // reading a case leaves the unfinished new one
          S().api("/api/cases/" + encodeURIComponent(c.id)).then(show)
            .catch(function (err) { status("Case unavailable: " + err.message); });
        });
        list.appendChild(li);
      });
      if (!cases.length) list.appendChild(S().item("No case. Open one from an alert, a queue pick or an entity."));
    }).catch(function (err) { list.textContent = ""; list.appendChild(S().item("Cases unavailable: " + err.message)); });
  }
  $("case-state").addEventListener("change", load);

  function post(path, body) {
    return S().api("/api/cases/" + encodeURIComponent(shown.id) + path, { method: "POST", body: body || {} })
      .then(function (c) { show(c); load(); return c; })
      .catch(function (err) { status("Not saved: " + err.message); });
  }

  function download(kind) {
    var name = "case-" + shown.id + (kind === "export" ? ".ftm.jsonl" : ".html");
    S().api("/api/cases/" + encodeURIComponent(shown.id) + "/" + kind, { raw: true }).then(function (text) {
      var type = kind === "export" ? "application/x-ndjson" : "text/html";
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: type }));
      link.download = name;
      document.body.appendChild(link); link.click(); link.remove();
      status("Exported " + name);
    }).catch(function (err) { status("Not exported: " + err.message); });
  }

  function field(id, placeholder) {
    var input = document.createElement("input");
    input.id = id; input.placeholder = placeholder; input.setAttribute("aria-label", placeholder);
    return input;
  }

  function show(c) {
    shown = c;
    // A closed case is no purpose any more: stop citing it.
    if (c.state === "closed" && S().purpose() === "case:" + c.id) S().setPurpose("", "");
    $("case-detail").hidden = false;
    $("case-heading").textContent = "Case " + c.id + ": " + c.title;
    $("case-meta").textContent = c.state + (c.closed_by ? " (closed by " + c.closed_by + ")" : "") + " · owner " +
      c.owner + " · legal basis " + c.legal_basis + " · opened from " + c.opened_from + " " + c.origin_id;
    var items = $("case-items");
    items.textContent = "";
    var labels = c.labels || {};
    c.alerts.forEach(function (key) { items.appendChild(S().item("alert: " + (labels[key] || key), { kind: "alert" })); });
    c.entities.forEach(function (id) {
      var li = S().item("entity: " + (labels[id] || id), { kind: "entity", id: id });
      li.addEventListener("click", function () { S().openEntity(id); });
      items.appendChild(li);
    });
    c.decisions.forEach(function (id) {
      items.appendChild(S().item("screening decision: " + (labels[id] || id), { kind: "decision" }));
    });
    c.evidence.forEach(function (e) {
      items.appendChild(S().item("evidence: " + e.label + (e.label === e.ref ? "" : " (" + e.ref + ")"), { kind: "evidence" }));
    });
    c.notes.forEach(function (n) { items.appendChild(S().item("note by " + n.author + ": " + n.text, { kind: "note" })); });
    var actions = $("case-actions");
    actions.textContent = "";
    if (c.state === "open") {
      actions.appendChild(S().button("Work under this case", function () {
        S().setPurpose("case:" + c.id, c.legal_basis);
        status("Requests now cite case:" + c.id + " under " + c.legal_basis);
      }));
      var note = field("case-note", "note");
      actions.appendChild(note);
      actions.appendChild(S().button("Add note", function () { if (note.value) post("/notes", { text: note.value }); }));
      var ref = field("case-evidence", "evidence: URL or archived copy id");
      actions.appendChild(ref);
      actions.appendChild(S().button("Add evidence", function () {
        if (ref.value) post("/items", { kind: "evidence", ref: ref.value, label: ref.value });
      }));
      actions.appendChild(S().button("Close case", function () { post("/close", { note: note.value || null }); }));
    } else if (S().role() === "admin") {  // only an administrator reopens a case
      actions.appendChild(S().button("Reopen", function () { post("/reopen"); }));
    }
    actions.appendChild(S().button("Export FtM", function () { download("export"); }));
    actions.appendChild(S().button("Report", function () { download("report"); }));
  }

  // The open case chosen on the card (its "Add to case" list), if any.
  function chosenCase() {
    var select = $("card-case").querySelector("select");
    return select ? select.value : null;
  }

  // On a reviewed screening hit: put the decision into the case chosen on the card.
  function decisionButton(decisionId) {
    var b = S().button("Add decision to case", function () {
      var caseId = chosenCase();
      if (!caseId) { b.textContent = "no open case"; return; }
      S().api("/api/cases/" + encodeURIComponent(caseId) + "/items",
              { method: "POST", body: { kind: "decision", ref: decisionId } }).then(function (c) {
        b.textContent = "in case " + c.id; b.disabled = true;
      }).catch(function (err) { b.textContent = "Not added: " + err.message; });
    });
    b.dataset.action = "decision-to-case";
    return b;
  }

  // On the entity card: open a case from this entity, or add it to an open case.
  function cardControls(card) {
    var box = $("card-case");
    box.textContent = "";
    box.appendChild(S().caseButton("entity", card.id, card.label));
    S().api("/api/cases?state=open").then(function (cases) {
      openCases = cases;
      if (!cases.length) return;
      var select = document.createElement("select");
      select.setAttribute("aria-label", "open case");
      cases.forEach(function (c) { select.add(new Option(c.id + " " + c.title, c.id)); });
      box.appendChild(select);
      box.appendChild(S().button("Add to case", function () {
        S().api("/api/cases/" + encodeURIComponent(select.value) + "/items",
                { method: "POST", body: { kind: "entity", ref: card.id } }).then(function (c) {
          status(card.label + " added to case " + c.id);
          box.appendChild(S().span("added to " + c.id, "state"));
        }).catch(function (err) { box.appendChild(S().span("Not added: " + err.message, "why")); });
      }));
    }).catch(function () { /* a role without cases */ });
  }

  window.SekishoCases = { load: load, start: start, cardControls: cardControls, decisionButton: decisionButton };
})();
