// Keyboard shortcuts for the case queue and the case page. A file of its own, not inline:
// the Content-Security-Policy allows scripts from this origin only. One listener on the
// document, which reads the page at each key press, so pages that htmx swaps in keep
// working without re-binding anything.
(function () {
  "use strict";

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function rows() {
    var table = document.querySelector('table[data-keys="queue"]');
    return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("kb-current")) return i;
    }
    return -1;
  }

  function select(list, i) {
    list.forEach(function (r) { r.classList.remove("kb-current"); });
    var row = list[i];
    if (!row) return;
    row.classList.add("kb-current");
    var link = row.querySelector("a");
    if (link) link.focus();
  }

  function focusField(id) {
    var el = document.getElementById(id);
    if (!el) return false;
    var details = el.closest("details");
    if (details) details.open = true;
    el.focus();
    return true;
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el) el.click();
    return !!el;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
    if (typing(e)) return;
    var list = rows();
    var handled = true;
    if (list.length && (e.key === "j" || e.key === "k")) {
      var i = current(list);
      // A row already focused by Tab counts as the current one.
      if (i < 0 && document.activeElement) {
        i = list.indexOf(document.activeElement.closest("tr"));
      }
      i = e.key === "j" ? Math.min(list.length - 1, i + 1) : Math.max(0, i - 1);
      select(list, i);
    } else if (list.length && e.key === "x") {
      var r = list[current(list)];
      var box = r && r.querySelector('input[type="checkbox"]');
      if (box) box.checked = !box.checked; else handled = false;
    } else if (e.key === "/") {
      handled = focusField("f-sla") || focusField("note-text") || focusField("nav-q");
    } else if (e.key === "n") {
      handled = focusField("note-text") || focusField("answer-text");
    } else if (e.key === "t") {
      handled = click("take");
    } else if (e.key === "a") {
      handled = click("acknowledge") || focusField("assignee-pick");
    } else if (e.key === "r") {
      handled = focusField("code-pick");
    } else if (e.key === "s") {
      handled = focusField("status-pick");
    } else if (e.key === "g") {
      window.location.href = "/app";
    } else if (e.key === "q") {
      window.location.href = "/app/cases";
    } else {
      handled = false;
    }
    if (handled) e.preventDefault();
  });
})();
