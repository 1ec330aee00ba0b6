// Behaviour the pages' forms ask for with data attributes, so no page needs an inline handler: the app's
// Content-Security-Policy (default-src 'self') runs only scripts served from here.
//   <select data-submit-on-change>  sends its form as soon as another option is chosen.
"use strict";
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLElement && target.hasAttribute("data-submit-on-change") && target.form) {
    target.form.submit();
  }
});
