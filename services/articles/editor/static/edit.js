// Local autosave of the edit form (a static file: the editor's CSP allows no inline script).
// While the user types, the form's fields are kept in localStorage under the article's id and
// the version the form was loaded at (and the user's id); on load, a kept copy that differs from the form is
// offered back ("Restore unsaved changes" / "Discard"). A successful save clears the
// article's copies (the server's redirect says so with ?saved=...).
(function () {
  "use strict";
  var PREFIX = "hh-editor:draft:";
  var SKIP = { csrf_token: true, version: true };

  function fieldsOf(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "button") return;
      var list = data[el.name] || (data[el.name] = []);
      if (el.type === "checkbox" || el.type === "radio") {
        list.push(el.checked ? el.value || "on" : "");
      } else if (el.multiple) {
        list.push(Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }).join("\n"));
      } else {
        list.push(el.value);
      }
    });
    return data;
  }

  function fill(form, data) {
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || !(el.name in data)) return;
      var i = seen[el.name] = (seen[el.name] === undefined ? 0 : seen[el.name] + 1);
      var value = data[el.name][i];
      if (value === undefined) return;
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = value !== "";
      } else if (el.multiple) {
        var picked = value.split("\n");
        Array.prototype.forEach.call(el.options, function (o) {
          o.selected = picked.indexOf(o.value) !== -1;
        });
      } else {
        el.value = value;
      }
    });
  }

  function clearArticle(article) {
    var doomed = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf(PREFIX + article + ":") === 0) doomed.push(key);
    }
    doomed.forEach(function (key) { localStorage.removeItem(key); });
  }

  function start() {
    var form = document.getElementById("edit-form");
    if (!form || !window.localStorage) return;
    var key = PREFIX + form.dataset.autosaveKey;
    var saved = form.dataset.saved;
    if (saved) {
      clearArticle(form.dataset.article);
      if (saved === "new") clearArticle(form.dataset.new);
    }
    var loaded = JSON.stringify(fieldsOf(form));
    var kept = localStorage.getItem(key);
    var offer = document.getElementById("autosave-offer");
    // While the offer is open, typing does not overwrite the kept copy.
    var pending = false;
    if (kept && kept !== loaded && offer) {
      pending = true;
      offer.hidden = false;
      document.getElementById("autosave-restore").addEventListener("click", function () {
        fill(form, JSON.parse(kept));
        pending = false;
        offer.hidden = true;
        form.dispatchEvent(new Event("input", { bubbles: true }));  // refresh the preview
        document.getElementById("title").focus();
      });
      document.getElementById("autosave-discard").addEventListener("click", function () {
        localStorage.removeItem(key);
        pending = false;
        offer.hidden = true;
        keep();
        document.getElementById("title").focus();
      });
    }
    var timer = null;
    function keep() {
      if (pending) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        try {
          localStorage.setItem(key, JSON.stringify(fieldsOf(form)));
        } catch (e) { /* storage full or refused: the form still works */ }
      }, 400);
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
  }

  // The Markdown toolbar: each button puts its marks around the selection in the body.
  function toolbar() {
    var body = document.getElementById("body");
    if (!body) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-md-before]"), function (b) {
      b.addEventListener("click", function () {
        var start = body.selectionStart, end = body.selectionEnd, text = body.value;
        var before = b.dataset.mdBefore, after = b.dataset.mdAfter;
        body.value = text.slice(0, start) + before + text.slice(start, end) + after + text.slice(end);
        body.focus();
        body.setSelectionRange(start + before.length, end + before.length);
        body.dispatchEvent(new Event("input", { bubbles: true }));  // autosave and preview
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", toolbar);
  else toolbar();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
