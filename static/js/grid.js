/* The attendance grid: click or type to set days, fill rows and columns, live counts.
   Cells show the paper 考勤表's marks (√ 差 假 休 ×); the stored codes are letters (P B L H A), and
   either may be typed. Without JavaScript each row is a plain text box of marks, so the page still works. */
(function () {
  "use strict";
  var form = document.getElementById("grid-form");
  if (!form) return;
  var editable = form.dataset.editable === "1";
  var CODES = "PBLHA.";
  // data-marks: code, mark, code, mark… (assignments/models/attendance.py MARKS); what can be typed
  // for a code mirrors to_codes() there.
  var MARK = {}, TYPED = { "✓": "P", "✔": "P", "✗": "A", "╳": "A", "/": "-", "。": ".", "．": ".", "・": ".", "－": "-", "—": "-" };
  var pairs = form.dataset.marks || "";
  for (var p = 0; p + 1 < pairs.length; p += 2) { MARK[pairs[p]] = pairs[p + 1]; TYPED[pairs[p + 1]] = pairs[p]; }
  function mark(code) { return MARK[code] || code; }
  function codeOf(ch) {
    var up = ch.toUpperCase();
    return (CODES + "-").indexOf(up) >= 0 ? up : (TYPED[up] || TYPED[ch] || ch);
  }
  function toCodes(text) { var out = ""; for (var k = 0; k < text.length; k++) if (text[k].trim()) out += codeOf(text[k]); return out; }
  function toMarks(codes) { var out = ""; for (var k = 0; k < codes.length; k++) out += mark(codes[k]); return out; }
  var refusal = document.getElementById("grid-refusal");
  form.classList.add("js");

  function rowOf(el) { return el.closest("tr"); }
  function input(tr) { return tr.querySelector("input.codes"); }
  function cells(tr) { return tr.querySelectorAll("td.cell"); }

  function count(tr) {
    var codes = toCodes(input(tr).value), business = tr.dataset.business === "1", n = 0;
    for (var i = 0; i < codes.length; i++) {
      if (codes[i] === "P" || (business && codes[i] === "B")) n++;
    }
    var required = parseInt(tr.dataset.required, 10) || 0;
    tr.querySelector(".present").textContent = n;
    var status = tr.querySelector(".status .badge");
    if (status) {
      var short = required - n;
      status.className = "badge " + (short > 0 ? "bad" : "ok");
      status.textContent = short > 0 ? form.dataset.shortLabel.replace("N", short) : form.dataset.okLabel;
    }
  }

  // The server refuses these too (assignments/attendance.py validate_row); saying so here spares a
  // round trip. Returns the message, or "" when the code may go in the cell.
  function refused(td, code) {
    var day = parseInt(td.dataset.i, 10) + 1, key = "";
    var rest = td.classList.contains("weekend") || td.classList.contains("holiday");
    if ("PAB".indexOf(code) >= 0 && td.classList.contains("future")) key = "refuseFuture";
    else if (code === "L" && (!td.classList.contains("onleave") || rest)) key = "refuseLeave";
    else if (code === "H" && !rest) key = "refuseRest";
    else if (code === "." && rest) key = "refuseDot";
    return key ? form.dataset[key].replace("%(day)s", day) : "";
  }

  // A spot check found the cadre away this day (不在岗): a discrepancy while the sheet says P or B.
  function markFound(td, code) {
    if (!td.dataset.found) return;
    var away = code === "P" || code === "B";
    td.classList.toggle("discrepancy", away);
    // Off a discrepancy, the title goes back to the cadre's records of the day, if any.
    if (away) td.title = td.dataset.found; else if (td.dataset.traces) td.title = td.dataset.traces; else td.removeAttribute("title");
  }

  function set(td, code, quiet) {
    if (!editable || td.classList.contains("code--")) return;
    var why = refused(td, code);
    if (why) {
      if (!quiet && refusal) { refusal.textContent = why; td.classList.add("refused"); }
      return;
    }
    td.classList.remove("refused");
    var tr = rowOf(td), box = input(tr), i = parseInt(td.dataset.i, 10);
    var codes = toCodes(box.value).split("");
    codes[i] = code;
    box.value = toMarks(codes.join(""));
    td.textContent = mark(code);
    td.className = td.className.replace(/code-\S/, "code-" + code);
    markFound(td, code);
    tr.classList.add("changed");
    count(tr);
  }

  function brush() { var b = document.getElementById("brush"); return b ? b.value : "P"; }

  if (!editable) return;

  form.addEventListener("click", function (e) {
    var td = e.target.closest("td.cell");
    if (td) { set(td, brush()); return; }
    var rowButton = e.target.closest("button.fill-row");
    if (rowButton) {
      var code = brush();
      cells(rowOf(rowButton)).forEach(function (c) {
        // Filling a row with P keeps rest days and leave as they are; days to come stay ".".
        if (code === "P" && c.classList.contains("weekend")) return;
        if (code === "P" && c.classList.contains("holiday")) return;
        if (code === "P" && c.classList.contains("onleave")) return;
        set(c, code, true);
      });
      return;
    }
    var colButton = e.target.closest("button.fill-col");
    if (colButton) {
      var day = colButton.dataset.day;
      form.querySelectorAll('td.cell[data-i="' + day + '"]').forEach(function (c) { set(c, brush(), true); });
    }
  });

  form.addEventListener("keydown", function (e) {
    var td = e.target.closest && e.target.closest("td.cell");
    if (!td) return;
    var key = e.key.length === 1 ? codeOf(e.key) : "";
    if (key && CODES.indexOf(key) >= 0) { set(td, key); e.preventDefault(); return; }
    var tr = rowOf(td), i = parseInt(td.dataset.i, 10), target = null;
    if (e.key === "ArrowRight") target = tr.querySelector('td.cell[data-i="' + (i + 1) + '"]');
    if (e.key === "ArrowLeft") target = tr.querySelector('td.cell[data-i="' + (i - 1) + '"]');
    if (e.key === "ArrowDown" && tr.nextElementSibling) target = tr.nextElementSibling.querySelector('td.cell[data-i="' + i + '"]');
    if (e.key === "ArrowUp" && tr.previousElementSibling) target = tr.previousElementSibling.querySelector('td.cell[data-i="' + i + '"]');
    if (target) { target.focus(); e.preventDefault(); }
  });

  // Typing in the text box (kept for keyboard users) updates the cells too.
  form.addEventListener("input", function (e) {
    if (!e.target.matches("input.codes")) return;
    var tr = rowOf(e.target), codes = toCodes(e.target.value);
    cells(tr).forEach(function (c, i) {
      if (codes[i]) { c.textContent = mark(codes[i]); c.className = c.className.replace(/code-\S/, "code-" + codes[i]); markFound(c, codes[i]); }
    });
    tr.classList.add("changed");
    count(tr);
  });

  window.addEventListener("beforeunload", function (e) {
    if (form.querySelector("tr.changed") && !form.dataset.submitting) { e.preventDefault(); e.returnValue = ""; }
  });
  form.addEventListener("submit", function () { form.dataset.submitting = "1"; });
})();
