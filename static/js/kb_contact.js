// Contact form: suggest knowledge-base articles while the person types (deflection), without blocking sending.
(function () {
  var form = document.getElementById("contact-form");
  var box = document.getElementById("suggestions");
  if (!form || !box || !window.fetch) return;
  var subject = form.querySelector("[name=subject]"), body = form.querySelector("[name=body]");
  var attempt = form.querySelector("[name=attempt]");
  var timer = null, last = "";
  function ask() {
    var params = new URLSearchParams({ subject: subject.value, body: body.value.slice(0, 200), attempt: attempt ? attempt.value : "" });
    var key = params.toString();
    if (key === last || (subject.value + body.value).trim().length < 3) return;
    last = key;
    // a POST with the form's CSRF token: only the form itself records a visit (deflection statistics)
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
    fetch(box.dataset.url, {
      method: "POST",
      body: params,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf ? csrf.value : "" }
    })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, 400); }
  subject.addEventListener("input", later);
  body.addEventListener("input", later);
})();
