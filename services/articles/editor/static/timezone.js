/* Fills the hidden time-zone fields with the browser's IANA zone (e.g. Europe/Berlin) and
   names it beside the time input. Without JavaScript the fields keep "UTC", and the page
   says so, so a typed time is never read in a zone the user did not see. */
(function () {
  "use strict";
  function fill() {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    if (!zone) {
      return;
    }
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) {
      input.value = zone;
    });
    document.querySelectorAll("[data-time-zone-name]").forEach(function (element) {
      element.textContent = zone;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
