// Signing out forgets this browser's unsaved drafts (edit.js keeps them in localStorage
// under "hh-editor:draft:"): the next person at a shared computer must not find them.
document.addEventListener("submit", function (event) {
  if (!event.target.matches || !event.target.matches("form.sign-out")) return;
  try {
    var doomed = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf("hh-editor:draft:") === 0) doomed.push(key);
    }
    doomed.forEach(function (key) { localStorage.removeItem(key); });
  } catch (e) { /* storage unavailable: nothing was kept */ }
});
