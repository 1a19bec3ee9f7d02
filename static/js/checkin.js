/* 签到: one tap reads the position ONCE (getCurrentPosition; never watchPosition, nothing in the
   background), fills the form's hidden fields and submits it. When no position can be had the page
   says why (plain HTTP, unsupported, denied, unavailable, timed out); the messages are the form's
   data- attributes, translated by the server. */
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) return;
  var status = document.getElementById("checkin-status");
  var button = document.getElementById("checkin-button");

  function say(key, bad) {
    status.textContent = form.dataset[key] || "";
    status.className = "checkin-status" + (bad ? " note-warn" : "");
  }

  form.addEventListener("submit", function (event) {
    if (form.elements.latitude.value) return; // the position is in: let the form go
    event.preventDefault();
    if (!window.isSecureContext) return say("insecure", true);
    if (!navigator.geolocation) return say("unsupported", true);
    button.disabled = true;
    say("locating");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        form.elements.latitude.value = pos.coords.latitude.toFixed(6);
        form.elements.longitude.value = pos.coords.longitude.toFixed(6);
        form.elements.accuracy.value = Math.round(pos.coords.accuracy);
        say("sending");
        form.submit();
      },
      function (err) {
        button.disabled = false;
        var key = { 1: "denied", 2: "unavailable", 3: "timeout" }[err.code] || "unavailable";
        say(key, true);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });
})();
