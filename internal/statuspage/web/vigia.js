// vigia status page: refreshes the data region (#dados) in place every data-refresh seconds,
// with a pause control remembered across pages. Plain JavaScript, no dependencies; without it the
// page falls back to a <noscript> meta refresh.
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  var button = document.getElementById("pausar");
  if (!box || !button || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = parseInt(box.getAttribute("data-refresh"), 10) * 1000;
  if (!(every > 0)) {
    return;
  }
  var stamp = document.getElementById("atualizado");
  var notice = document.getElementById("aviso-atualizacao");
  var key = "vigia.atualizacao.pausada";
  var paused = false;
  var failed = false;
  var timer = 0;
  try {
    paused = window.localStorage.getItem(key) === "1";
  } catch (e) { /* storage disabled: pause is per page */ }

  function showButton() {
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    button.textContent = paused ? "Retomar atualização" : "Pausar atualização";
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    timer = window.setTimeout(tick, ms);
  }

  function say(text) {
    if (notice) {
      notice.textContent = text;
    }
  }

  function replaceRegion(region, fresh) {
    // Keep the open/closed state of collapsible sections the user chose.
    var open = {};
    region.querySelectorAll("details[id]").forEach(function (d) { open[d.id] = d.open; });
    var nodes = [];
    fresh.childNodes.forEach(function (n) { nodes.push(document.importNode(n, true)); });
    region.replaceChildren.apply(region, nodes);
    region.querySelectorAll("details[id]").forEach(function (d) {
      if (Object.prototype.hasOwnProperty.call(open, d.id)) {
        d.open = open[d.id];
      }
    });
  }

  function tick() {
    var region = document.getElementById("dados");
    if (paused || document.hidden || !region) {
      schedule(every);
      return;
    }
    // Do not pull the content from under a keyboard user who is inside it.
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active)) {
      schedule(every);
      return;
    }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        return resp.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("dados");
        if (!fresh) {
          throw new Error("resposta sem dados");
        }
        replaceRegion(region, fresh);
        ["atualizado", "nav-alertas"].forEach(function (id) {
          var mine = document.getElementById(id);
          var theirs = doc.getElementById(id);
          if (mine && theirs) {
            mine.innerHTML = theirs.innerHTML;
          }
        });
        document.title = doc.title;
        if (failed) {
          failed = false;
          box.classList.remove("falhou");
          say("Atualização restabelecida.");
        }
      })
      .catch(function (err) {
        box.classList.add("falhou");
        if (stamp) {
          stamp.textContent = "Falha ao atualizar (" + err.message + "); nova tentativa em " + every / 1000 + " s";
        }
        if (!failed) {
          failed = true;
          say("Falha ao atualizar os dados; os valores mostrados podem estar desatualizados.");
        }
      })
      .then(function () { schedule(every); });
  }

  button.hidden = false;
  showButton();
  button.addEventListener("click", function () {
    paused = !paused;
    try {
      window.localStorage.setItem(key, paused ? "1" : "0");
    } catch (e) { /* ignore */ }
    showButton();
    say(paused ? "Atualização automática pausada." : "Atualização automática retomada.");
    if (!paused) {
      schedule(1000);
    }
  });
  schedule(every);
})();
