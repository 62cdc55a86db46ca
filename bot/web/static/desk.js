// 军休助手工作台: a new emergency shows at once on every open desk page (a banner and a
// sound), by polling /alerts; a canned reply fills the reply box so it can be edited.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var banner = document.getElementById("emergency-banner");
  var list = document.getElementById("emergency-list");
  var sound = document.getElementById("alert-sound");
  var seen = {};
  try { seen = JSON.parse(sessionStorage.getItem("junxiu-seen-emergencies") || "{}"); } catch (e) { seen = {}; }

  function show(items) {
    if (!banner) { return; }
    var fresh = false;
    list.textContent = "";
    items.forEach(function (item) {
      if (!seen[item.id]) { fresh = true; seen[item.id] = 1; }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = "#" + item.id + " " + item.name + "：" + item.text;
      li.appendChild(a);
      list.appendChild(li);
    });
    banner.hidden = items.length === 0;
    document.body.classList.toggle("has-emergency", items.length > 0);
    if (fresh) {
      try { sessionStorage.setItem("junxiu-seen-emergencies", JSON.stringify(seen)); } catch (e) { /* private mode */ }
      if (sound) { var p = sound.play(); if (p && p.catch) { p.catch(function () {}); } }
    }
  }

  function poll() {
    fetch("/alerts", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data.emergencies || []); } })
      .catch(function () {})
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  poll();

  var canned = document.getElementById("canned");
  var box = document.getElementById("reply-text");
  if (canned && box) {
    canned.addEventListener("change", function () {
      var option = canned.options[canned.selectedIndex];
      if (option && option.dataset.text) { box.value = option.dataset.text; canned.value = ""; box.focus(); }
    });
  }
})();
