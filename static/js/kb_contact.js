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
    fetch(box.dataset.url + "?" + key, { headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(ask, 400); }
  subject.addEventListener("input", later);
  body.addEventListener("input", later);
})();
