// Notices addressed to this member of staff on every page: a call ringing at their extension (the caller
// card, with a link to the prefilled call log), tickets assigned to them, @mentions in notes, and changes of
// the tickets they follow.
(function () {
  const box = document.getElementById("notify");
  if (!box || !("WebSocket" in window)) return;
  const text = (selector) => box.querySelector(selector);
  let delay = 1000;
  function render(event) {
    const item = document.createElement("div");
    item.className = "notice";
    item.setAttribute("role", "status");
    const link = document.createElement("a");
    if (event.change === "call") {
      item.classList.add("notice-call");
      const who = [...event.people, ...event.units].join(" · ") || box.dataset.unknown;
      item.append(`${box.dataset.calling} ${event.number}: ${who}`);
      if (event.open_tickets.length) item.append(` (${box.dataset.openTickets} ${event.open_tickets.join(", ")})`);
      link.href = event.form_url;
      link.textContent = box.dataset.logCall;
    } else if (event.change === "assigned_to_you") {
      item.append(`${box.dataset.assigned} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = `${event.reference} ${event.subject}`;
    } else if (event.change === "mentioned") {
      item.classList.add("notice-mention");
      item.append(`${event.by} ${box.dataset.mentioned} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = `${event.reference} ${event.subject}`;
    } else if (event.change === "followed") {
      item.append(`${box.dataset.followed} ${event.reference}: ${event.detail}${event.by ? ` (${event.by})` : ""} `);
      link.href = `/tickets/${event.reference}/`;
      link.textContent = event.subject;
    } else {
      return;
    }
    item.append(" ", link);
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", box.dataset.close);
    close.addEventListener("click", () => item.remove());
    item.append(" ", close);
    box.prepend(item);
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/notify/`);
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (message) => render(JSON.parse(message.data));
    socket.onclose = (closed) => {
      if (closed.code === 4403 || closed.code === 4401) return; // not allowed or logged out
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
