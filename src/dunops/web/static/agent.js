// The agent panel's script: streams a turn's server-sent events into the chat as they arrive, then puts
// the server-rendered panel in place. Without it the panel's form posts and the page shows the answer.
// Everything from the server is inserted as text (textContent) or as the server's own escaped HTML.
"use strict";

(function () {
  function line(log, kind, text) {
    const item = document.createElement("li");
    item.className = kind;
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    item.appendChild(paragraph);
    log.appendChild(item);
    return paragraph;
  }

  function replacePanel(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.querySelector("#agent");
    const current = document.getElementById("agent");
    if (fresh && current) {
      current.replaceWith(fresh);
      const field = fresh.querySelector("textarea");
      if (field) field.focus();
    }
  }

  function* parse(buffer) {
    // Complete events end with a blank line; the rest stays in the buffer.
    let end;
    while ((end = buffer.text.indexOf("\n\n")) !== -1) {
      const block = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      let kind = "message";
      const data = [];
      for (const row of block.split("\n")) {
        if (row.startsWith("event: ")) kind = row.slice(7);
        else if (row.startsWith("data: ")) data.push(row.slice(6));
      }
      yield { kind, data: data.length ? JSON.parse(data.join("\n")) : {} };
    }
  }

  async function ask(form) {
    const log = document.getElementById("agent-log");
    const status = document.getElementById("agent-status");
    const field = form.elements.namedItem("content");
    const button = form.querySelector("button[type=submit]");
    const body = new URLSearchParams(new FormData(form));
    const question = field.value.trim();
    if (!question) {
      field.focus();
      return;
    }
    line(log, "ask", question);
    let answer = line(log, "answer", "");
    field.value = "";
    button.disabled = true;
    status.textContent = "The agent is working…";
    let response;
    try {
      response = await fetch(form.dataset.stream, {
        method: "POST",
        body,
        headers: { Accept: "text/event-stream" },
        credentials: "same-origin",
      });
    } catch (error) {
      status.textContent = "DunOps could not be reached; try again.";
      button.disabled = false;
      field.value = question;
      return;
    }
    if (!(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
      replacePanel(await response.text()); // a refusal: the panel saying why
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const buffer = { text: "" };
    let conversation = form.elements.namedItem("conversation").value;
    let ended = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer.text += value.replace(/\r\n/g, "\n");
      for (const event of parse(buffer)) {
        if (event.kind === "conversation") {
          conversation = String(event.data.id);
          form.elements.namedItem("conversation").value = conversation;
        } else if (event.kind === "token") {
          answer.textContent += event.data.text;
        } else if (event.kind === "tool_call") {
          line(log, "tool", "Calling " + event.data.name + "…");
          answer = line(log, "answer", "");
        } else if (event.kind === "error") {
          status.textContent = event.data.detail;
        } else if (event.kind === "final") {
          ended = true;
        }
      }
    }
    if (!ended) {
      status.textContent = "The answer broke off; reload the page to see what was stored.";
      button.disabled = false;
      return;
    }
    const panel = new URL(form.dataset.panel, window.location.href);
    panel.searchParams.set("conversation", conversation);
    panel.searchParams.set("zone", form.elements.namedItem("zone").value);
    const shown = await fetch(panel, { credentials: "same-origin", headers: { Accept: "text/html" } });
    replacePanel(await shown.text());
    const address = new URL(window.location.href);
    address.searchParams.set("conversation", conversation);
    address.hash = "agent";
    window.history.replaceState(null, "", address);
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.stream || !window.ReadableStream) return;
    event.preventDefault();
    ask(form);
  });
})();
