/* The dispatch page's cadre picker: lists, as one types, the cadres whose name contains the text or
   whose ID number ends with the digits typed. The page works without it ("Find" asks the server,
   which decides the same way); this only spares the round trip. Each option carries the name and
   the ID number's last 4 characters (data-name, data-tail), never more: a longer tail, for those
   allowed to search by one (data-tail-max), narrows to its last 4 here and is left to "Find". */
(function () {
  "use strict";
  var input = document.querySelector("input[data-filters]");
  if (!input) return;
  var select = document.getElementById(input.dataset.filters);
  if (!select) return;
  var note = document.getElementById(input.getAttribute("aria-describedby"));
  var start = document.getElementById("id_start_date");
  var max = parseInt(input.dataset.tailMax, 10) || 4;
  var SHOWN = 4;
  var TAIL = /^[0-9]*[0-9X]$/;

  var said = note ? note.textContent : "";

  function say(text) {
    if (!note) return;
    said = text;
    if (start && start.value && input.dataset.day && start.value !== input.dataset.day) {
      text = (text ? text + " " : "") + input.dataset.msgDay;
    }
    note.textContent = text;
  }

  function filter() {
    var q = input.value.trim();
    var tail = q.toUpperCase();
    var byTail = TAIL.test(tail) && /[0-9]/.test(tail);
    var tooLong = byTail && tail.length > max;
    var end = byTail ? tail.slice(-SHOWN) : "";
    var count = 0;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var match;
      if (!q) match = true;
      else if (tooLong) match = false;
      else if (byTail) match = (option.dataset.tail || "").slice(-end.length) === end;
      else match = (option.dataset.name || "").indexOf(q) !== -1;
      option.hidden = !match && !option.selected;
      if (match) count += 1;
    });
    if (!q) return say("");
    if (tooLong) return say(input.dataset.msgTooLong);
    var text = input.dataset.msgCount.replace("{n}", count);
    if (byTail && tail.length > SHOWN) text += " " + input.dataset.msgLong;
    say(text);
  }

  input.addEventListener("input", filter);
  if (start) start.addEventListener("change", function () { say(said); });
})();
