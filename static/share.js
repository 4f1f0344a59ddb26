// Share block, made better where the browser allows: a copy button and the
// phone's own share sheet. Everything works without this file.
(function () {
  "use strict";
  var box = document.querySelector(".share");
  if (!box) return;
  var input = box.querySelector(".share-url");
  var status = box.querySelector(".share-status");
  var url = input.value;
  var title = box.getAttribute("data-title") || document.title;

  var copy = box.querySelector(".copy-link");
  if (navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(
        function () { status.textContent = "Link copied."; },
        function () { input.select(); status.textContent = "Select the link above and copy it."; }
      );
    });
  }

  var native = box.querySelector(".native-share");
  if (navigator.share) {
    native.hidden = false;
    native.addEventListener("click", function () {
      navigator.share({ title: title, url: url }).catch(function () {});
    });
  }

  input.addEventListener("focus", function () { input.select(); });
})();
