// Live ticket lists: the server pushes a short event for every change the user may see
// (tickets.consumers.TicketStreamConsumer); the page offers to refresh instead of jumping under the reader.
// Pushes sent while the socket is away are lost, so each time it (re)connects the page asks the server which
// tickets changed after the last event it knows of (GET /tickets/changes?after=…, scoped like the list).
(function () {
  const notice = document.getElementById("live-notice");
  if (!notice || !("WebSocket" in window)) return;
  const changed = new Set(); // references: a change heard live and again in a catch-up counts once
  let lastEvent = notice.dataset.lastEvent || "0";
  let delay = 1000;
  function show() {
    if (!changed.size) return;
    notice.hidden = false;
    notice.querySelector("[data-count]").textContent = changed.size;
  }
  function catchUp() {
    fetch(`${notice.dataset.changesUrl}?after=${encodeURIComponent(lastEvent)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        lastEvent = String(data.last_event);
        data.references.forEach((reference) => changed.add(reference));
        if (data.references.length) notice.dataset.lastReference = data.references[0];
        show();
      })
      .catch(() => {}); // the next reconnect asks again from the same event
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/tickets/`);
    socket.onopen = () => { delay = 1000; catchUp(); };
    socket.onmessage = (message) => {
      // one frame: a single event, or {"events": [...]} (the pushes of a batch, in order)
      const data = JSON.parse(message.data);
      (Array.isArray(data.events) ? data.events : [data]).forEach((event) => {
        changed.add(event.reference || `${event.change}-${changed.size}`);
        notice.dataset.lastReference = event.reference || "";
      });
      show();
    };
    socket.onclose = (closed) => {
      if (closed.code === 4403 || closed.code === 4401) return; // not allowed or logged out: do not hammer the server
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  notice.querySelector("button").addEventListener("click", () => location.reload());
  connect();
})();
