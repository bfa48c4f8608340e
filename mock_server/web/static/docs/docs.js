// One contract's reference: fetch the document the sandbox serves, point its servers at this
// sandbox (the contract names a fixed host and port), and hand it to Swagger UI.
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  const specUrl = root.dataset.specUrl;

  function here(servers) {
    // Keep each server's path (Truedy's /api/public/v1) and drop its host: "Try it out" calls us.
    const seen = new Set();
    const mapped = [];
    for (const server of servers && servers.length ? servers : [{ url: "/" }]) {
      let path;
      try {
        path = new URL(server.url, window.location.origin).pathname.replace(/\/+$/, "");
      } catch (error) {
        continue;
      }
      if (seen.has(path)) continue;
      seen.add(path);
      mapped.push({ url: window.location.origin + path, description: "this sandbox" });
    }
    return mapped;
  }

  fetch(specUrl, { headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error(`${specUrl} answered ${response.status}`);
      return response.json();
    })
    .then((spec) => {
      spec.servers = here(spec.servers);
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#swagger-ui",
        deepLinking: true,
        validatorUrl: null, // no badge fetched from the internet
        tryItOutEnabled: false,
        displayRequestDuration: true,
        docExpansion: "list",
        defaultModelsExpandDepth: 0,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
      });
    })
    .catch((error) => {
      root.textContent = `Could not load the contract: ${error.message}`;
      root.className = "docs-error";
    });
})();
