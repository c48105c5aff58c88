// Ticket page: search the knowledge base and insert a link or a snippet into the reply.
(function () {
  var form = document.getElementById("kb-box-form");
  var list = document.getElementById("kb-box-results");
  if (!form || !list || !window.fetch) return;
  function insert(text) {
    var target = document.getElementById(form.dataset.target);
    if (!target) return;
    var at = target.selectionStart || target.value.length;
    target.value = target.value.slice(0, at) + text + target.value.slice(at);
    target.focus();
  }
  function plain(html) { var d = document.createElement("div"); d.innerHTML = html; return d.textContent; }
  function button(label, text) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.className = "link";
    b.addEventListener("click", function () { insert(text); });
    return b;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = form.querySelector("[name=q]").value;
    fetch(form.dataset.api + "?source=agent&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        list.innerHTML = "";
        if (!data.results || !data.results.length) { list.textContent = list.dataset.empty; return; }
        data.results.forEach(function (hit) {
          var li = document.createElement("li");
          var a = document.createElement("a"); a.href = hit.url; a.textContent = hit.title; a.target = "_blank"; a.rel = "noopener";
          li.appendChild(a); li.appendChild(document.createElement("br"));
          li.appendChild(button(list.dataset.linkLabel, hit.title + ": " + hit.url + "\n"));
          li.appendChild(document.createTextNode(" · "));
          li.appendChild(button(list.dataset.snippetLabel, plain(hit.snippet) + "\n(" + hit.url + ")\n"));
          list.appendChild(li);
        });
      })
      .catch(function () {});
  });
})();
