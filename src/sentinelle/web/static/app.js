// Small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Filter forms apply as soon as a choice changes (they keep a "Show" button without JS).
  for (const form of document.querySelectorAll("form.auto-submit")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
});
