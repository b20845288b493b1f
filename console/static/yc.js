/* yc: the console's one client of the JSON API, and the few helpers every page shares.
 *
 *   yc.start({setup() {...}})        check the session and the page's roles, then mount the page's Vue app
 *   yc.get(path, query) / yc.post(path, body, {key}) / yc.put / yc.patch / yc.del
 *   yc.intentKey(name)              one Idempotency-Key per user intent (same name -> same key until done)
 *   yc.intentDone(name)             the intent succeeded: the next one gets a new key
 *   yc.yuan(fen) -> "¥12.34"        yc.fen("12.34") -> 1234 (no floats anywhere near money)
 *   yc.me()                         the signed-in user (GET /api/auth/me, cached for the page)
 *   yc.canScan() / yc.scan(video)   read a barcode with the camera (BarcodeDetector), where offered
 *   yc.blobUrl(path)                an image the API serves behind the token, for an <img>
 *   yc.download(path, filename)     a file the API serves behind the token (PDF, Excel), saved by the browser
 *
 * Answers: 2xx resolves with the parsed JSON (null for 204). 401 sends the browser to
 * /m/login?next=<this page>. 403 replaces the page with the refusal (无权限 Not allowed). Any other
 * error rejects with a yc.ApiError carrying the API's status, code and messages.
 */
(function () {
  "use strict";

  var TOKEN = "yc.token";
  var EXPIRES = "yc.expires_at";
  var USER = "yc.user";
  var INTENTS = "yc.intents";
  var LOGIN = "/m/login";
  var settings = { pageRoles: [] };
  var meCache = null;

  function ApiError(status, body) {
    var error = (body && body.error) || {};
    this.name = "ApiError";
    this.status = status;
    this.code = error.code || "http_" + status;
    this.messageZh = error.message_zh || "请求失败";
    this.messageEn = error.message_en || "The request failed";
    this.message = error.message || this.messageZh + " / " + this.messageEn;
    this.details = error.details || {};
  }
  ApiError.prototype = Object.create(Error.prototype);

  // --- the session -------------------------------------------------------------------------

  // The stored token, or null when there is none or it has passed its expiry (kept in storage so
  // the login page can say the session expired).
  function token() {
    var value = localStorage.getItem(TOKEN);
    var expires = localStorage.getItem(EXPIRES);
    if (!value || (expires && Date.parse(expires) <= Date.now())) return null;
    return value;
  }

  function saveSession(answer) {
    localStorage.setItem(TOKEN, answer.token);
    localStorage.setItem(EXPIRES, answer.expires_at || "");
    localStorage.setItem(USER, JSON.stringify(answer.user || null));
    meCache = answer.user || null;
  }

  function clearSession() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(EXPIRES);
    localStorage.removeItem(USER);
    meCache = null;
  }

  function here() {
    return location.pathname + location.search + location.hash;
  }

  // Only a path inside the console may be a `next`: never another site.
  function safeNext(next) {
    return typeof next === "string" && /^\/m\/(?!\/)/.test(next) ? next : "/m/";
  }

  function toLogin() {
    // A session that existed and no longer works has expired (or was revoked): say so at login.
    var expired = Boolean(localStorage.getItem(TOKEN));
    clearSession();
    location.replace(LOGIN + "?next=" + encodeURIComponent(here()) + (expired ? "&expired=1" : ""));
    // Nothing after a redirect should run: a promise that never settles.
    return new Promise(function () {});
  }

  function refuse(message) {
    var app = document.getElementById("app");
    var box = document.getElementById("yc-refusal");
    if (app) app.hidden = true;
    if (box) {
      if (message) document.getElementById("yc-refusal-message").textContent = message;
      var next = document.getElementById("yc-refusal-switch");
      if (next) next.href = LOGIN + "?next=" + encodeURIComponent(here());
      box.hidden = false;
    }
  }

  // --- the API -----------------------------------------------------------------------------

  function request(method, path, options) {
    options = options || {};
    var url = path;
    if (options.query) {
      var params = new URLSearchParams();
      Object.keys(options.query).forEach(function (k) {
        var v = options.query[k];
        if (v !== undefined && v !== null && v !== "") params.append(k, v);
      });
      var qs = params.toString();
      if (qs) url += (url.indexOf("?") < 0 ? "?" : "&") + qs;
    }
    var headers = { Accept: "application/json" };
    var t = token();
    if (t) headers.Authorization = "Bearer " + t;
    if (options.key) headers["Idempotency-Key"] = options.key;
    var init = { method: method, headers: headers };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 401 && !options.noRedirect) return toLogin();
      var parse = response.status === 204 ? Promise.resolve(null) : response.json().catch(function () { return null; });
      return parse.then(function (body) {
        if (response.ok) return body;
        var error = new ApiError(response.status, body);
        if (response.status === 403 && !options.noRefusal) refuse(error.message);
        throw error;
      });
    });
  }

  // --- idempotency: one key per intent ------------------------------------------------------

  function randomKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function intents() {
    try { return JSON.parse(sessionStorage.getItem(INTENTS) || "{}"); } catch (e) { return {}; }
  }

  // The same name answers the same key until intentDone(name): a double tap, a retry after a lost
  // answer, even a reload of the page sends the request the server already has, which it replays.
  function intentKey(name) {
    if (!name) return randomKey();
    var all = intents();
    if (!all[name]) {
      all[name] = randomKey();
      sessionStorage.setItem(INTENTS, JSON.stringify(all));
    }
    return all[name];
  }

  function intentDone(name) {
    var all = intents();
    delete all[name];
    sessionStorage.setItem(INTENTS, JSON.stringify(all));
  }

  // --- money: integer fen in, ¥ with two decimals out ---------------------------------------

  function yuan(fen) {
    if (fen === null || fen === undefined || fen === "") return "";
    var n = Number(fen);
    var sign = n < 0 ? "-" : "";
    n = Math.abs(Math.round(n));
    var whole = Math.floor(n / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "¥" + whole + "." + ("0" + (n % 100)).slice(-2);
  }

  // "12.3" -> 1230; null for anything that is not an amount with at most two decimals.
  function fen(text) {
    var m = /^\s*(-?)(\d{1,12})(?:\.(\d{0,2}))?\s*$/.exec(String(text === undefined ? "" : text));
    if (!m) return null;
    var value = parseInt(m[2], 10) * 100 + parseInt(((m[3] || "") + "00").slice(0, 2), 10);
    return m[1] ? -value : value;
  }

  // --- pages -------------------------------------------------------------------------------

  function me() {
    if (meCache) return Promise.resolve(meCache);
    return request("GET", "/api/auth/me").then(function (user) {
      meCache = user;
      localStorage.setItem(USER, JSON.stringify(user));
      return user;
    });
  }

  // Back to the login page the moment the token expires, even on a page left open.
  function watchExpiry() {
    var expires = Date.parse(localStorage.getItem(EXPIRES) || "");
    if (!expires) return;
    var wait = Math.min(Math.max(expires - Date.now(), 0), 2147483647);
    setTimeout(function () { if (!token()) toLogin(); }, wait);
  }

  // Mount the page's Vue app: a session is required (else the login page), and the user's role
  // must be one the page admits (else the refusal). `me` is available to templates as `me`.
  function start(component, options) {
    options = options || {};
    if (!token()) return toLogin();
    return me().then(function (user) {
      var roles = options.roles || settings.pageRoles || [];
      if (roles.length && roles.indexOf(user.role) < 0) {
        refuse("您的账号（" + user.display_name + "）不能打开此页面。This page is not for your role (" + user.role + ").");
        return null;
      }
      watchExpiry();
      return mount(component, { me: user });
    });
  }

  function mount(component, globals) {
    var app = Vue.createApp(component);
    app.config.compilerOptions.delimiters = ["[[", "]]"];
    app.config.globalProperties.yc = yc;
    Object.keys(globals || {}).forEach(function (k) { app.config.globalProperties[k] = globals[k]; });
    app.use(vant);
    return app.mount("#app");
  }

  function login(loginName, password) {
    return request("POST", "/api/auth/password-login", {
      body: { login: loginName, password: password },
      noRedirect: true,
    }).then(function (answer) {
      saveSession(answer);
      return answer.user;
    });
  }

  function logout() {
    var done = function () { clearSession(); location.replace(LOGIN); };
    return request("POST", "/api/auth/logout", { noRedirect: true }).then(done, done);
  }

  // The message to show a person for an error: the API's Chinese and English, or a network note.
  function messageOf(error) {
    if (error instanceof ApiError) return error.message;
    return "网络错误，请重试 / Network error, please try again";
  }

  // An image the API serves behind the bearer token (a QR PNG), as a URL an <img> can show.
  function blobUrl(path) {
    var t = token();
    return fetch(path, { headers: t ? { Authorization: "Bearer " + t } : {} }).then(function (response) {
      if (response.status === 401) return toLogin();
      if (!response.ok) throw new ApiError(response.status, null);
      return response.blob().then(function (blob) { return URL.createObjectURL(blob); });
    });
  }

  // A link the browser saves, for a file only the token may fetch; failures are shown as a toast.
  function download(path, filename) {
    return blobUrl(path).then(function (url) {
      var a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    }).catch(function (e) { vant.showFailToast(messageOf(e)); });
  }

  // --- the camera: barcodes through the browser's BarcodeDetector, where it has one ----------

  function canScan() {
    return "BarcodeDetector" in window && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  // Show the back camera in `video` until a barcode is seen; resolves with its text. `stop()` on the
  // answer's promise ends it early (resolves with null). Typing the code is the fallback everywhere.
  function scan(video) {
    var stopped = false;
    var stream = null;
    var detector = new window.BarcodeDetector();
    var finish;
    var promise = new Promise(function (resolve, reject) {
      finish = function (value) {
        stopped = true;
        if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
        resolve(value);
      };
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
        stream = s;
        if (stopped) return finish(null);
        video.srcObject = s;
        video.setAttribute("playsinline", "");
        return video.play().then(function () {
          (function look() {
            if (stopped) return;
            detector.detect(video).then(function (codes) {
              if (codes.length) finish(codes[0].rawValue);
              else setTimeout(look, 200);
            }, function () { setTimeout(look, 400); });
          })();
        });
      }).catch(reject);
    });
    promise.stop = function () { finish(null); };
    return promise;
  }

  var yc = {
    ApiError: ApiError,
    configure: function (values) { Object.assign(settings, values || {}); },
    token: token,
    saveSession: saveSession,
    clearSession: clearSession,
    safeNext: safeNext,
    request: request,
    get: function (path, query, options) { return request("GET", path, Object.assign({ query: query }, options)); },
    post: function (path, body, options) { return request("POST", path, Object.assign({ body: body === undefined ? {} : body }, options)); },
    put: function (path, body, options) { return request("PUT", path, Object.assign({ body: body }, options)); },
    patch: function (path, body, options) { return request("PATCH", path, Object.assign({ body: body }, options)); },
    del: function (path, options) { return request("DELETE", path, options); },
    intentKey: intentKey,
    intentDone: intentDone,
    yuan: yuan,
    fen: fen,
    me: me,
    start: start,
    mount: mount,
    login: login,
    logout: logout,
    refuse: refuse,
    toLogin: toLogin,
    messageOf: messageOf,
    blobUrl: blobUrl,
    download: download,
    canScan: canScan,
    scan: scan,
  };
  window.yc = yc;
})();
