// Live ticket lists: the server pushes a short event for every change the user may see
// (tickets.consumers.TicketStreamConsumer); the page offers to refresh instead of jumping under the reader.
(function () {
  const notice = document.getElementById("live-notice");
  if (!notice || !("WebSocket" in window)) return;
  let changes = 0;
  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/tickets/`);
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      changes += 1;
      notice.hidden = false;
      notice.querySelector("[data-count]").textContent = changes;
      notice.dataset.lastReference = event.reference || "";
    };
    socket.onclose = (closed) => {
      if (closed.code === 4403) return; // not allowed: do not hammer the server
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  notice.querySelector("button").addEventListener("click", () => location.reload());
  connect();
})();
