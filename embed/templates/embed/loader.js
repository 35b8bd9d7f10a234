// Yibao KB embed loader. Paste once per page:
//   <script src="{{ origin|escapejs }}/embed/v1/loader.js" async></script>
//   <div data-yibao-region="420100" data-yibao-card-type="ssc-gen2" data-yibao-lang="en"
//        data-yibao-sections="passwords,change_password,hotlines"></div>
// Each such element gets the widget in a frame that keeps the height of its content as sections open and close.
// Nothing is added to the page's global names.
(function () {
  "use strict";
  var origin = "{{ origin|escapejs }}";
  var frames = {};
  var titles = { en: "Medical insurance card passwords", zh: "医保卡初始密码与修改方法" };
  var counter = 0;

  function embed(element) {
    if (element.getAttribute("data-yibao-embedded")) return;
    var region = element.getAttribute("data-yibao-region") || "";
    if (!/^[0-9]{6}$/.test(region)) return;
    element.setAttribute("data-yibao-embedded", "true");
    var id = "yibao-" + (++counter) + "-" + Math.random().toString(36).slice(2, 8);
    var query = [];
    var cardType = element.getAttribute("data-yibao-card-type");
    var lang = element.getAttribute("data-yibao-lang");
    var sections = element.getAttribute("data-yibao-sections");
    if (cardType) query.push("card_type=" + encodeURIComponent(cardType));
    if (lang) query.push("lang=" + encodeURIComponent(lang));
    if (sections) query.push("sections=" + encodeURIComponent(sections.replace(/\s+/g, "")));
    var frame = document.createElement("iframe");
    // The frame's id goes in the fragment, which no server sees: every frame of a widget is one address, which
    // browsers and caches on the way keep once.
    frame.src = origin + "/embed/v1/" + region + "/" + (query.length ? "?" + query.join("&") : "") +
      "#embed_id=" + encodeURIComponent(id);
    frame.title = element.getAttribute("data-yibao-title") || (lang === "en" ? titles.en : titles.zh);
    frame.loading = "lazy";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = "480px";
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frames[id] = frame;
    element.appendChild(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "yibao-kb:height") return;
    var frame = frames[event.data.id];
    var height = Number(event.data.height);
    if (frame && height > 0 && height < 100000) frame.style.height = height + "px";
  });

  function scan() {
    var elements = document.querySelectorAll("[data-yibao-region]");
    for (var i = 0; i < elements.length; i++) embed(elements[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
