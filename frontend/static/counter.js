// Visit counter badge.
//
// Records at most one visit per browser session: the first page view POSTs,
// later views in the same session (reloads, back/forward) only GET. Any
// failure leaves a neutral placeholder; this script never throws and never
// logs errors, because a broken counter must not look like a broken resume.
(function () {
  "use strict";

  var TIMEOUT_MS = 3000;
  var SESSION_KEY = "resume-visit-recorded";
  var UNAVAILABLE_TITLE = "visit count unavailable";

  var badge = document.querySelector("[data-visit-counter]");
  if (!badge) {
    return;
  }
  var countEl = badge.querySelector("[data-visit-count]");
  var noteEl = badge.querySelector("[data-visit-note]");
  if (!countEl) {
    return;
  }

  function setState(state) {
    badge.setAttribute("data-state", state);
  }

  function showCount(count) {
    var locale = document.documentElement.lang || undefined;
    countEl.textContent = new Intl.NumberFormat(locale).format(count);
    badge.title = "Visits to this page";
    if (noteEl) {
      noteEl.textContent = "";
    }
    setState("ready");
  }

  function showUnavailable() {
    countEl.textContent = "\u2014";
    badge.title = UNAVAILABLE_TITLE;
    if (noteEl) {
      noteEl.textContent = "unavailable";
    }
    setState("unavailable");
  }

  // Storage can be disabled or throw (private modes, sandboxed frames).
  // null means "cannot tell", which is treated as already recorded: a GET
  // under-counts one visitor, a POST would count every one of their reloads.
  function visitAlreadyRecorded() {
    try {
      return window.sessionStorage.getItem(SESSION_KEY) === "1";
    } catch (err) {
      return null;
    }
  }

  function rememberVisit() {
    try {
      window.sessionStorage.setItem(SESSION_KEY, "1");
    } catch (err) {
      // Nothing to do: without storage we simply cannot remember.
    }
  }

  function fetchJson(url, init) {
    return fetch(url, init).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json().then(
        function (body) {
          return { ok: true, body: body };
        },
        function () {
          return { ok: true, body: null };
        }
      );
    });
  }

  function apiBaseFrom(config) {
    var base = config && config.apiBaseUrl;
    if (typeof base !== "string" || base === "") {
      throw new Error("config.json has no apiBaseUrl");
    }
    var url = new URL(base, document.baseURI);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new Error("apiBaseUrl is not http(s)");
    }
    return url.href.replace(/\/+$/, "");
  }

  function validCount(body) {
    var count = body && body.count;
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
      throw new Error("response has no valid count");
    }
    return count;
  }

  function requestCount(apiBase, signal) {
    var recorded = visitAlreadyRecorded();
    var shouldRecord = recorded === false;
    // No body and no custom headers: both requests stay CORS-"simple"
    // (no preflight), and nothing identifies the visitor.
    var init = {
      method: shouldRecord ? "POST" : "GET",
      mode: "cors",
      credentials: "omit",
      signal: signal,
    };
    return fetchJson(apiBase + "/visits", init).then(function (result) {
      if (shouldRecord) {
        // The server answered 2xx, so the visit is stored even if the body
        // turns out to be unusable; never POST again this session.
        rememberVisit();
      }
      return validCount(result.body);
    });
  }

  function run() {
    setState("loading");
    // One deadline for the whole exchange (config + API), so the badge
    // settles within ~3 s however the time is split.
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, TIMEOUT_MS);
    var configInit = { cache: "no-cache", credentials: "same-origin", signal: controller.signal };
    return fetchJson("config.json", configInit)
      .then(function (result) {
        return requestCount(apiBaseFrom(result.body), controller.signal);
      })
      .then(showCount, showUnavailable)
      .catch(showUnavailable)
      .then(function () {
        window.clearTimeout(timer);
      });
  }

  try {
    run();
  } catch (err) {
    // fetch/AbortController/Intl missing in a very old browser.
    showUnavailable();
  }
})();
