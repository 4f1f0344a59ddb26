// "Is this page useful?" without leaving the page, where the browser
// allows. The form works without this file: it posts, and the server
// answers 303 back to the page at #feedback-yes, #feedback-no or
// #feedback-thanks, which CSS shows. This sends the same post with fetch
// and moves to the same fragment, so nothing reloads. Any other answer
// (429, 503, 400) or a failure falls back to a plain submission, so the
// reader sees our page saying why.
(function () {
  "use strict";
  var forms = document.querySelectorAll(".feedback form");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-plain") === "yes" || !window.fetch) return;
      event.preventDefault();
      var submitter = event.submitter || null;
      var fields;
      try {
        fields = new FormData(form, submitter);
      } catch (e) {
        fields = new FormData(form);
      }
      var body = new URLSearchParams(fields);
      var answer = body.get("answer");
      var anchor = answer ? "feedback-" + answer : "feedback-thanks";
      var plain = function () {
        form.setAttribute("data-plain", "yes");
        if (form.requestSubmit) {
          form.requestSubmit(submitter);
        } else {
          form.submit();
        }
      };
      fetch(form.action, {
        method: "POST",
        body: body,
        redirect: "manual",
        credentials: "omit"
      }).then(function (response) {
        // A 303 is opaque to a script: its type says it was one.
        if (response.type !== "opaqueredirect") {
          plain();
          return;
        }
        location.hash = anchor;
        var next = document.getElementById(anchor);
        var field = next && next.querySelector("textarea");
        if (field) field.focus();
      }, plain);
    });
  });
})();
