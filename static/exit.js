// Quick exit, made quicker where the browser allows. The "Exit this page"
// link works without this file; this adds:
// - leaving by replacing this page in the history, so Back does not return;
// - pressing Shift three times in a row (within a few seconds) to leave.
// It writes nothing to the page, so it needs no Trusted Types policy.
(function () {
  "use strict";
  var link = document.querySelector(".exit-link");
  if (!link) return;
  var destination = link.href;

  function leave() {
    // Hide the page at once, in case the next site is slow to answer.
    document.documentElement.hidden = true;
    window.location.replace(destination);
  }

  link.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    leave();
  });

  var presses = 0;
  var timer = null;
  var WINDOW_MS = 5000;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      // Any other key (a capital letter typed with Shift) starts again.
      presses = 0;
      return;
    }
    if (event.repeat) return;
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { presses = 0; }, WINDOW_MS);
    if (presses >= 3) {
      presses = 0;
      leave();
    }
  });
})();
