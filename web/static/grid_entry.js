// The journal grid (ADR 0018). The page works without this file: every date links to the
// lesson's form. With it: the grid opens on the current week; a teacher types marks straight
// into the cells of open columns («5 4», «5кр», «Н»), moves with the arrows, Enter and Tab,
// and saves one column (one lesson) at a time — Ctrl+Enter or «Сохранить столбец» — in one
// transaction; a refused cell keeps what was typed and shows why.
(function () {
  "use strict";
  var table = document.querySelector("table.journal");
  var scroller = document.getElementById("grid-scroll");
  if (!table || !scroller) { return; }
  var scrollKey = "grid-scroll:" + location.pathname;
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);

  // --- open on the current week (or where the teacher was before saving) ------------------
  function stickyLeft() {
    var name = table.tHead.rows[0].querySelector("th.name");
    return name ? name.offsetLeft + name.offsetWidth : 0;
  }
  var link = document.getElementById("to-now");
  var now = link && document.getElementById(link.getAttribute("href").slice(1));
  function toNow() { scroller.scrollLeft = Math.max(0, now.offsetLeft - stickyLeft()); }
  // «#col-<lesson>» (a granted late entry's link, ADR 0031) opens the grid at that column
  var asked = /^#col-[0-9a-f-]+$/.test(location.hash) ? document.getElementById(location.hash.slice(1)) : null;
  var kept = sessionStorage.getItem(scrollKey);
  if (kept !== null) {
    sessionStorage.removeItem(scrollKey);
    scroller.scrollLeft = parseInt(kept, 10) || 0;
  } else if (asked) {
    scroller.scrollLeft = Math.max(0, asked.offsetLeft - stickyLeft());
  } else if (now) {
    toNow();
  }
  if (now) {
    link.addEventListener("click", function (event) { event.preventDefault(); toNow(); });
  }

  var bar = document.getElementById("grid-bar");
  if (!table.hasAttribute("data-entry") || !bar) { return; }
  var status = document.getElementById("grid-bar-status");
  var kindSelect = bar.querySelector("select[name=kind]");
  var reasonInput = bar.querySelector("input[name=reason]");
  var codes = (bar.getAttribute("data-codes") || "").split(" ");
  var dirty = -1;  // the column index with unsaved changes, or -1
  var active = null;

  function isOpen(col) {
    var th = heads[col];
    return !!th && th.hasAttribute("data-lesson") && th.classList.contains("open");
  }
  function isLesson(col) { return !!heads[col] && heads[col].hasAttribute("data-lesson"); }
  function position(td) {
    return [rows.indexOf(td.parentElement), Array.prototype.indexOf.call(td.parentElement.cells, td)];
  }
  function tokens(text) { return text.trim().split(/\s+/).filter(Boolean); }
  function shownText(td) {
    var parts = [];
    td.querySelectorAll(".mark").forEach(function (m) { parts.push(m.getAttribute("data-t")); });
    td.querySelectorAll(".att").forEach(function (a) { parts.push(a.textContent.trim()); });
    return parts.join(" ");
  }
  function remember(td) {  // what the cell showed when the page came
    if (td.hasAttribute("data-orig")) { return; }
    var ids = [];
    td.querySelectorAll(".mark").forEach(function (m) { ids.push(m.getAttribute("data-id")); });
    td.setAttribute("data-was", ids.join(" "));
    td.setAttribute("data-orig", shownText(td));
    td.setAttribute("data-text", shownText(td));
    td.origHTML = td.innerHTML;
    td.trails = [];  // the marks' history links (readers of histories), kept for the line below
    td.querySelectorAll("a.trail").forEach(function (a) {
      td.trails.push([a.getAttribute("href"), a.textContent]);
    });
  }
  // A click on a mark in an open column selects the cell for typing; the marks' histories
  // stay one click away on the line «История отметок» under the bar (or Ctrl+click).
  var history = document.getElementById("grid-history");
  function showHistory(td) {
    if (!history) { return; }
    var links = history.querySelector("span");
    links.textContent = "";
    (td.trails || []).forEach(function (t) {
      var a = document.createElement("a");
      a.href = t[0];
      a.className = "trail";
      a.textContent = t[1];
      links.appendChild(a);
      links.appendChild(document.createTextNode(" "));
    });
    history.hidden = !(td.trails && td.trails.length);
  }
  function say(text) { status.textContent = text || ""; }

  function showBar(col) {
    var th = heads[col];
    bar.hidden = false;
    document.getElementById("grid-bar-day").textContent = th.querySelector("a").textContent;
    kindSelect.value = th.getAttribute("data-kind");
  }

  function focusCell(td) {
    if (active && active !== td) { active.tabIndex = -1; }
    active = td;
    td.tabIndex = 0;
    var col = position(td)[1];
    if (isOpen(col) && (dirty === -1 || dirty === col)) {
      edit(td);
    } else {
      td.focus();
      if (isOpen(col)) {
        var day = heads[dirty].querySelector("a").textContent;
        say(bar.getAttribute("data-other-column").replace("%s", day));
      }
    }
  }

  function edit(td) {
    var input = td.querySelector("input");
    if (!input) {
      remember(td);
      input = document.createElement("input");
      input.value = td.getAttribute("data-text");
      var pupil = td.parentElement.querySelector(".name").textContent;
      input.setAttribute("aria-label", pupil + ", " + heads[position(td)[1]].querySelector("a").textContent);
      input.addEventListener("blur", function () { leave(td); });
      td.textContent = "";
      td.classList.remove("refused");
      td.removeAttribute("title");
      td.classList.add("editing");
      td.appendChild(input);
    }
    showHistory(td);
    input.focus();
    input.select();
  }

  function leave(td) {
    var input = td.querySelector("input");
    if (!input) { return; }
    var text = tokens(input.value).join(" ");
    td.classList.remove("editing");
    td.setAttribute("data-text", text);
    if (text === td.getAttribute("data-orig")) {
      td.innerHTML = td.origHTML;
      td.classList.remove("changed");
    } else {
      td.textContent = text;
      td.classList.add("changed");
      dirty = position(td)[1];
      showBar(dirty);
    }
    if (!table.querySelector("td.changed")) { dirty = -1; bar.hidden = true; }
  }

  function move(td, rowStep, colStep) {
    var at = position(td), r = at[0] + rowStep, c = at[1] + colStep;
    while (colStep && heads[c] && !isLesson(c)) { c += colStep; }
    if (r < 0 || r >= rows.length || !isLesson(c)) { return false; }
    focusCell(rows[r].cells[c]);
    return true;
  }

  table.addEventListener("click", function (event) {
    var td = event.target.closest("td");
    if (!td || !td.parentElement || rows.indexOf(td.parentElement) < 0) { return; }
    var col = position(td)[1];
    if (!isLesson(col) || event.target.closest("input")) { return; }
    var link = event.target.closest("a");
    if (link) {
      // a mark's history link: in an open column a plain click selects the cell instead
      var plain = event.button === 0 && !(event.ctrlKey || event.metaKey || event.shiftKey);
      if (!link.classList.contains("trail") || !isOpen(col) || !plain) { return; }
      event.preventDefault();
    }
    focusCell(td);
  });

  table.addEventListener("keydown", function (event) {
    var td = event.target.closest("td");
    if (!td || rows.indexOf(td.parentElement) < 0 || !isLesson(position(td)[1])) { return; }
    var input = event.target.tagName === "INPUT" ? event.target : null;
    var key = event.key, done = false;
    if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (input) { leave(td); }
      save();
      done = true;
    } else if (key === "ArrowDown" || key === "Enter") {
      done = move(td, 1, 0);
    } else if (key === "ArrowUp") {
      done = move(td, -1, 0);
    } else if (key === "Tab") {
      done = move(td, 0, event.shiftKey ? -1 : 1);
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      var edge = !input || input.selectionStart !== input.selectionEnd ||
        (key === "ArrowLeft" ? input.selectionStart === 0 : input.selectionEnd === input.value.length);
      if (edge) { done = move(td, 0, key === "ArrowLeft" ? -1 : 1); }
    } else if (key === "Escape" && input) {
      input.value = td.getAttribute("data-orig");
      td.classList.remove("refused");
      done = true;
    }
    if (done) { event.preventDefault(); }
  });

  function needsReason(td) {
    var before = tokens(td.getAttribute("data-orig")).filter(function (t) { return codes.indexOf(t) < 0; });
    var now = tokens(td.getAttribute("data-text")).filter(function (t) { return codes.indexOf(t.toUpperCase()) < 0; });
    return before.some(function (t, i) { return !now[i] || now[i].toLowerCase() !== t.toLowerCase(); });
  }

  function clearProblems() {
    table.querySelectorAll("td.refused").forEach(function (td) {
      td.classList.remove("refused");
      td.removeAttribute("title");
      var note = td.querySelector(".cell-problem");
      if (note) { note.remove(); }
    });
  }

  function save() {
    if (dirty === -1) { return; }
    var col = dirty, changed = [];
    rows.forEach(function (tr) {
      var td = tr.cells[col];
      if (td.classList.contains("changed")) { changed.push(td); }
    });
    if (!changed.length) { return; }
    if (!reasonInput.value.trim() && changed.some(needsReason)) {
      say(bar.getAttribute("data-reason-needed"));
      reasonInput.focus();
      return;
    }
    var form = new FormData();
    bar.querySelectorAll("input[type=hidden], select, input[name=reason]").forEach(function (el) {
      form.append(el.name, el.value);
    });
    changed.forEach(function (td) {
      var pupil = td.parentElement.getAttribute("data-pupil");
      form.append("cell-" + pupil, td.getAttribute("data-text"));
      form.append("was-" + pupil, td.getAttribute("data-was"));
    });
    var url = bar.getAttribute("data-url").replace(
      "00000000-0000-0000-0000-000000000000", heads[col].getAttribute("data-lesson")) + "/column";
    say("…");
    fetch(url, { method: "POST", body: form, credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (answer) { return [response.ok, answer]; });
      })
      .then(function (result) {
        if (result[0]) {
          sessionStorage.setItem(scrollKey, String(scroller.scrollLeft));
          location.reload();
          return;
        }
        clearProblems();
        say(result[1].message);
        var problems = result[1].problems || {};
        Object.keys(problems).forEach(function (pupil) {
          var tr = table.querySelector('tr[data-pupil="' + pupil + '"]');
          if (!tr) { return; }
          var td = tr.cells[col], note = document.createElement("span");
          td.classList.add("refused", "changed");
          td.title = problems[pupil];
          note.className = "cell-problem";
          note.setAttribute("role", "alert");
          note.textContent = problems[pupil];
          td.appendChild(note);
        });
      })
      .catch(function () { say(bar.getAttribute("data-failed")); });
  }

  function cancel() {
    rows.forEach(function (tr) {
      var td = tr.cells[dirty];
      if (td && td.hasAttribute("data-orig")) {
        td.innerHTML = td.origHTML;
        td.setAttribute("data-text", td.getAttribute("data-orig"));
        td.classList.remove("changed", "refused", "editing");
        td.removeAttribute("title");
      }
    });
    dirty = -1;
    bar.hidden = true;
    say("");
  }

  bar.querySelector("[data-action=save]").addEventListener("click", save);
  bar.querySelector("[data-action=cancel]").addEventListener("click", cancel);

  // the first cell a Tab reaches: the first pupil's in the current week's first column
  var start = asked ? heads.indexOf(asked) : now ? heads.indexOf(now) : -1;
  if (rows.length && start > 0) { rows[0].cells[start].tabIndex = 0; active = rows[0].cells[start]; }
  if (asked && kept === null && rows.length && start > 0) {
    // after the browser's own jump to the anchor (which would hide the column under the
    // names and take the focus away): the column next to the names, its first cell typed in
    var ready = function () {
      setTimeout(function () {
        scroller.scrollLeft = Math.max(0, asked.offsetLeft - stickyLeft());
        if (isOpen(start)) { focusCell(rows[0].cells[start]); }
      }, 0);
    };
    if (document.readyState === "complete") { ready(); } else { window.addEventListener("load", ready); }
  }
  table.addEventListener("focusin", function (event) {
    if (event.target.tagName === "TD" && rows.indexOf(event.target.parentElement) >= 0 &&
        isLesson(position(event.target)[1])) {
      focusCell(event.target);
    }
  });
})();

// The new-lesson form (ADR 0031): «Сдать к» proposes the course's next lesson by the
// timetable after the lesson's date; a changed date moves the proposal, until the teacher
// picks a date of their own.
(function () {
  "use strict";
  var form = document.getElementById("new-lesson");
  if (!form) { return; }
  var days = (form.getAttribute("data-days") || "").split(" ").filter(Boolean);
  var day = form.querySelector("input[name=day]");
  var due = form.querySelector("input[name=homework_due]");
  if (!days.length || !day || !due) { return; }
  var proposed = due.value;
  due.addEventListener("change", function () { proposed = null; });
  day.addEventListener("change", function () {
    if (proposed === null || due.value !== proposed) { return; }
    var next = days.filter(function (d) { return d > day.value; })[0] || "";
    due.value = proposed = next;
  });
})();
