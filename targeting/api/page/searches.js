// Saved searches: keep the search in the box (its query and filters) and subscribe to it; each record
// that arrives later and matches raises an alert (see the Alerts view). Runs happen on the server
// (`sekisho targeting run-searches`); "Run now" asks for one at once.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var S = function () { return window.Sekisho; };

  function status(text) { $("saved-search-status").textContent = text; }

  function act(search, path, method) {
    return S().api("/api/searches/" + encodeURIComponent(search.id) + path, { method: method || "POST" });
  }

  function load() {
    var list = $("saved-searches");
    return S().api("/api/searches").then(function (searches) {
      list.textContent = "";
      searches.forEach(function (s) {
        var li = S().item("", { id: s.id, subscribed: String(s.subscribed) });
        li.appendChild(S().span(s.name, "label"));
        li.appendChild(S().span("“" + s.query + "”" + (s.kinds.length ? " · " + s.kinds.join(", ") : "") +
          (s.min_risk != null ? " · risk ≥ " + s.min_risk.toFixed(2) : ""), "kind"));
        li.appendChild(S().span(s.subscribed
          ? "subscribed · " + s.alerted + " alert" + (s.alerted === 1 ? "" : "s") + " so far · new since " +
            new Date(s.watermark).toLocaleString()
          : "not subscribed", "state" + (s.subscribed ? "" : " closed")));
        var actions = document.createElement("div");
        actions.className = "actions";
        if (s.subscribed) {
          actions.appendChild(S().button("Run now", function () {
            act(s, "/run").then(function (run) {
              status(s.name + ": " + run.alerts.length + " new alert" + (run.alerts.length === 1 ? "" : "s") +
                     run.alerts.map(function (a) { return " · " + a.label; }).join(""));
              load();
            }).catch(function (err) { status("Not run: " + err.message); });
          }));
          actions.appendChild(S().button("Unsubscribe", function () { act(s, "/unsubscribe").then(load); }));
        } else {
          actions.appendChild(S().button("Subscribe", function () { act(s, "/subscribe").then(load); }));
        }
        actions.appendChild(S().button("Delete", function () { act(s, "", "DELETE").then(load); }));
        li.appendChild(actions);
        li.addEventListener("click", function () {
          $("search-q").value = s.query;
          $("search-form").requestSubmit();
        });
        list.appendChild(li);
      });
      if (!searches.length) list.appendChild(S().item("No saved search: search, then save it here."));
    }).catch(function () { list.textContent = ""; /* a role without searches */ });
  }

  $("save-search").addEventListener("submit", function (evt) {
    evt.preventDefault();
    var kind = $("save-search-kind").value, risk = $("save-search-risk").value;
    var body = { name: $("save-search-name").value, query: $("search-q").value.trim(), kinds: kind ? [kind] : [],
                 min_risk: risk === "" ? null : Number(risk), subscribe: $("save-search-subscribe").checked };
    if (!body.query) { status("Type a search first."); return; }
    S().api("/api/searches", { method: "POST", body: body }).then(function (s) {
      status("Saved “" + s.name + "”" + (s.subscribed ? ": new matching records will raise alerts" : ""));
      $("save-search-name").value = "";
      load();
    }).catch(function (err) { status("Not saved: " + err.message); });
  });

  window.SekishoSearches = { load: load };
})();
