// Visit counter badge: "1,234 views · 567 visitors".
//
// Records at most one visit per browser session: the first page view POSTs,
// later views in the same session (reloads, back/forward) only GET. The POST
// carries a random visit id kept for the session, so if it fails (a 503 says
// the visit may not have been counted) the next page view sends the same
// visit again, which the API never counts twice. The badge stays `hidden`
// until the figures arrive, and for good on any failure: this script never
// throws and never logs errors, because a broken counter must not look like a
// broken resume. A page built without the badge (show_visit_badge off) still
// records the visit, and after that asks the API nothing.
//
// The API's address is in the page itself (<meta name="visit-counter-api">,
// written by the build or the deploy), so the count costs one request.
//
// The visit says where its reader came from, and no more: the referrer
// reduced here to its scheme and host (the API keeps only the host's source
// name), and the page's ?ref= application code when it is one the API
// accepts. A click on the résumé's download link sends one more POST, marked
// as a download of this visit.
(function () {
  "use strict";

  var TIMEOUT_MS = 3000;
  var SESSION_KEY = "resume-visit-recorded";
  var VISIT_ID_KEY = "resume-visit-id";
  var API_META = 'meta[name="visit-counter-api"]';
  var DOWNLOAD_LINK = "[data-resume-download]";
  // catalog.LINK_CODE_PATTERN (functions/common/catalog.py): the API answers
  // any other ref with a 400 and would not count the view, so it stays here.
  var REF_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

  var badge = document.querySelector("[data-visit-counter]");
  var countEl = badge && badge.querySelector("[data-visit-count]");
  if (badge && !countEl) {
    return;
  }

  function setState(state) {
    if (badge) {
      badge.setAttribute("data-state", state);
    }
  }

  function plural(number, format, one, many) {
    return format.format(number) + " " + (number === 1 ? one : many);
  }

  function showCount(figures) {
    if (!badge) {
      return;
    }
    var locale = document.documentElement.lang || undefined;
    var format = new Intl.NumberFormat(locale);
    countEl.textContent =
      plural(figures.count, format, "view", "views") +
      " \u00b7 " +
      plural(figures.visitors, format, "visitor", "visitors");
    badge.hidden = false;
    setState("ready");
  }

  // The badge stays hidden: no placeholder, no empty pill, nothing moves.
  function showUnavailable() {
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

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  // The same id for every attempt at this session's visit, so a retry after
  // a failure is recognised by the API; a new session is a new visit.
  function sessionVisitId() {
    try {
      var stored = window.sessionStorage.getItem(VISIT_ID_KEY);
      if (stored) {
        return stored;
      }
      var created = randomId();
      window.sessionStorage.setItem(VISIT_ID_KEY, created);
      return created;
    } catch (err) {
      return randomId();
    }
  }

  // "https://www.linkedin.com" of "https://www.linkedin.com/feed/?trk=abc":
  // path and query never leave the browser. An app's referrer
  // (android-app://com.linkedin.android/) has no web origin, so scheme and
  // host are kept by hand. "" when there is none: a direct visit.
  function referrerOrigin() {
    try {
      var url = new URL(document.referrer);
      return url.host ? url.protocol + "//" + url.host : "";
    } catch (err) {
      return "";
    }
  }

  // The application link's code (?ref=Acme-2026 → "acme-2026"), or null.
  function linkCode() {
    try {
      var code = new URLSearchParams(window.location.search).get("ref");
      code = code && code.trim().toLowerCase();
      return code && REF_PATTERN.test(code) ? code : null;
    } catch (err) {
      return null;
    }
  }

  function visitBody() {
    var body = { visit_id: sessionVisitId(), referrer: referrerOrigin() };
    var code = linkCode();
    if (code) {
      body.ref = code;
    }
    return JSON.stringify(body);
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

  function apiBase() {
    var meta = document.querySelector(API_META);
    var base = meta && meta.getAttribute("content");
    if (!base) {
      throw new Error("the page names no API");
    }
    var url = new URL(base, document.baseURI);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new Error("the API's URL is not http(s)");
    }
    return url.href.replace(/\/+$/, "");
  }

  function validNumber(value) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new Error("response has no valid figures");
    }
    return value;
  }

  function validFigures(body) {
    return {
      count: validNumber(body && body.count),
      visitors: validNumber(body && body.unique_visitors),
    };
  }

  function requestCount(apiBase, signal) {
    var recorded = visitAlreadyRecorded();
    var shouldRecord = recorded === false;
    if (!badge && !shouldRecord) {
      // No badge to fill and nothing to record: the API is not asked.
      return Promise.resolve(null);
    }
    // No custom headers and a text/plain body: both requests stay
    // CORS-"simple" (no preflight). The visit id is random and lives only as
    // long as the browser session; nothing else identifies the visitor.
    var init = {
      method: shouldRecord ? "POST" : "GET",
      mode: "cors",
      credentials: "omit",
      signal: signal,
    };
    if (shouldRecord) {
      init.headers = { "content-type": "text/plain" };
      init.body = visitBody();
    }
    return fetchJson(apiBase + "/visits", init).then(function (result) {
      if (shouldRecord) {
        // The server answered 2xx, so the visit is stored even if the body
        // turns out to be unusable; never POST again this session.
        rememberVisit();
      }
      return badge ? validFigures(result.body) : null;
    });
  }

  function run() {
    setState("loading");
    // One deadline for the whole exchange, so the badge settles within ~3 s.
    var controller = new AbortController();
    var timer = window.setTimeout(function () {
      controller.abort();
    }, TIMEOUT_MS);
    // Inside the chain, so a missing or bad address leaves the badge hidden too.
    return Promise.resolve()
      .then(function () {
        return requestCount(apiBase(), controller.signal);
      })
      .then(showCount, showUnavailable)
      .catch(showUnavailable)
      .then(function () {
        window.clearTimeout(timer);
      });
  }

  // The first click on the download link in a page view POSTs the download
  // (the API counts a visitor's download once a day; more clicks add
  // nothing). keepalive: the download's navigation must not cancel it. The
  // link works the same without the API.
  function watchDownloads() {
    var link = document.querySelector(DOWNLOAD_LINK);
    if (!link) {
      return;
    }
    var sent = false;
    link.addEventListener("click", function () {
      if (sent) {
        return;
      }
      sent = true;
      try {
        fetch(apiBase() + "/visits", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          keepalive: true,
          headers: { "content-type": "text/plain" },
          body: JSON.stringify({ visit_id: sessionVisitId(), kind: "download" }),
        }).catch(function () {
          // A lost download count is not the reader's problem.
        });
      } catch (err) {
        // No API named in the page, or no fetch: the file still downloads.
      }
    });
  }

  try {
    watchDownloads();
    run();
  } catch (err) {
    // fetch/AbortController/Intl missing in a very old browser.
    showUnavailable();
  }
})();
