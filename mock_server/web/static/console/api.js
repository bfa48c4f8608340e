// Talking to the sandbox: every call carries the workspace's credentials, read when it is made.
// `credentials()` gives {key, admin}; the answer is {status, ok, data} (data: JSON, or the text).
export function client(credentials) {
  function headers(extra) {
    // X-Mock-Console marks the console's own polling, so a journal or log can leave it out.
    const sent = { Accept: "application/json", "X-Mock-Console": "1", ...(extra || {}) };
    const { key, admin } = credentials();
    if (key) sent.Authorization = `Bearer ${key}`;
    if (admin) sent["X-Mock-Admin-Token"] = admin;
    return sent;
  }

  async function api(method, path, body) {
    const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(path, init);
    const text = await response.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      /* not JSON: keep the text */
    }
    return { status: response.status, ok: response.ok, data };
  }

  return api;
}

export function message(answer) {
  const error = answer.data && answer.data.error;
  if (error && typeof error === "object") return `${answer.status} ${error.code || ""}: ${error.message || ""}`;
  return `${answer.status}: ${typeof answer.data === "string" ? answer.data.slice(0, 200) : "unexpected answer"}`;
}
