// The dashboard works without this script; with it, the page's main part
// refreshes itself: it asks for ?part=main every few seconds with the ETag
// it has, and the server answers 304 while nothing changed. Focus stays on
// the button it was on, and nothing refreshes while a field is being typed in.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var every = main ? Number(main.getAttribute("data-poll")) : 0;
  if (!every || !window.fetch) return;
  var etag = null;
  function typing() {
    var a = document.activeElement;
    return a && main.contains(a) && (a.tagName === "INPUT" || a.tagName === "TEXTAREA") && a.value !== "";
  }
  function tick() {
    if (document.hidden || typing()) { setTimeout(tick, every); return; }
    var u = new URL(window.location.href);
    u.searchParams.set("part", "main");
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    fetch(u.toString(), { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status !== 200) return;
        etag = r.headers.get("ETag");
        return r.text().then(function (html) {
          var a = document.activeElement, key = a && main.contains(a) ? (a.getAttribute("value") || a.getAttribute("href")) : null;
          main.innerHTML = html;
          main.setAttribute("data-updated", new Date().toISOString());
          if (key) {
            var again = main.querySelector('[value="' + CSS.escape(key) + '"], [href="' + CSS.escape(key) + '"]');
            if (again) again.focus();
          }
        });
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
