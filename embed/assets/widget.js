// Tells the page that framed the widget how tall it is, so that the loader can size the frame to fit, also as the
// reader opens and closes sections. Optional: the widget reads the same without it.
(function () {
  "use strict";
  // The loader names the frame in the address's fragment; older loaders named it in the query.
  var id =
    new URLSearchParams(window.location.hash.slice(1)).get("embed_id") ||
    new URLSearchParams(window.location.search).get("embed_id");
  if (!id || window.parent === window) return;
  var last = 0;
  function report() {
    // The document's own height, not scrollHeight: in a frame sized to fit, scrollHeight never falls below the
    // frame's height, so a section closing would never shrink it.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "yibao-kb:height", id: id, height: height }, "*");
    }
  }
  window.addEventListener("load", report);
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.body);
  else {
    window.addEventListener("resize", report);
    document.addEventListener("toggle", report, true);
  }
  report();
})();
