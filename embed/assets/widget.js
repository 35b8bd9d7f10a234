// Tells the page that framed the widget how tall it is, so that the loader can size the frame to fit.
// Optional: the widget reads the same without it.
(function () {
  "use strict";
  var id = new URLSearchParams(window.location.search).get("embed_id");
  if (!id || window.parent === window) return;
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "yibao-kb:height", id: id, height: height }, "*");
    }
  }
  window.addEventListener("load", report);
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.body);
  else window.addEventListener("resize", report);
  report();
})();
