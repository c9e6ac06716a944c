// LWP panel: the Console section of a running container's page. xterm.js draws the terminal,
// the panel's WebSocket carries its bytes (the wire is in the README, "Console").
// Loaded only on that page, after vendor/xterm/xterm.js and addon-fit.js. Nothing global but
// window.lwpConsole: the open terminal (an xterm.js Terminal), for the browser tests to read.
(function () {
  "use strict";

  // xterm.js styles its renderer with <style> elements it creates. The page's CSP
  // (containers.views.console_csp) admits those carrying this response's nonce: stamp it on
  // each at creation, before it is inserted (a nonce set later leaves the sheet unapplied).
  var nonce = document.currentScript && document.currentScript.nonce;
  var createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (tag) {
    var element = createElement.apply(this, arguments);
    if (nonce && String(tag).toLowerCase() === "style") element.setAttribute("nonce", nonce);
    return element;
  };

  // xterm's ANSI palette, on the panel's dark bar colours (lwp.css --bar, --bar-text).
  var THEME = {
    background: "#1e2733", foreground: "#d6dde6", cursor: "#60a5fa", cursorAccent: "#1e2733",
    selectionBackground: "rgba(96, 165, 250, 0.35)",
  };
  var REFUSED = "Could not open the console (signed out, or not allowed).";
  var DROPPED = "The connection dropped.";
  var ENDED = "The session ended.";

  function socketUrl(path, mode, term) {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var query = new URLSearchParams({ mode: mode, cols: term.cols, rows: term.rows });
    return scheme + "//" + location.host + path + "?" + query;
  }

  function sentence(text) {
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (error) { return {}; }
  }

  function Console(ui) {
    this.ui = ui;
    this.section = ui.closest("section");
    this.box = ui.querySelector(".console-term");
    this.status = ui.querySelector(".console-status");
    this.buttons = {};
    ui.querySelectorAll("button[data-console]").forEach(function (button) {
      this.buttons[button.getAttribute("data-console")] = button;
    }, this);
    this.term = null;
    this.socket = null;
    this.encoder = new TextEncoder();
    this.buttons.connect.addEventListener("click", this.connect.bind(this));
    this.buttons.disconnect.addEventListener("click", this.disconnect.bind(this));
    this.buttons.fullscreen.addEventListener("click", this.toggleFullScreen.bind(this));
    ui.hidden = false;
    this.section.querySelector(".console-nojs").hidden = true;
  }

  Console.prototype.say = function (text, state) {
    this.status.textContent = text;
    this.section.setAttribute("data-state", state);
  };

  // The terminal is made at the first Connect and kept: a reconnect reuses it, cleared.
  Console.prototype.terminal = function () {
    if (this.term) return this.term;
    var term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000, theme: THEME,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace' });
    this.fit = new FitAddon.FitAddon();
    term.loadAddon(this.fit);
    term.open(this.box);
    term.onData(function (data) { this.send(this.encoder.encode(data)); }.bind(this));
    term.onBinary(function (data) {
      this.send(Uint8Array.from(data, function (c) { return c.charCodeAt(0) & 255; }));
    }.bind(this));
    term.onResize(function (size) { this.send(JSON.stringify({ resize: [size.cols, size.rows] })); }.bind(this));
    term.attachCustomKeyEventHandler(clipboardKeys(term));
    new ResizeObserver(this.refit.bind(this)).observe(this.box);
    this.term = window.lwpConsole = term;
    return term;
  };

  Console.prototype.refit = function () {
    if (this.fitting) return;
    this.fitting = requestAnimationFrame(function () {
      this.fitting = 0;
      if (this.box.clientWidth && this.box.clientHeight) this.fit.fit();
    }.bind(this));
  };

  Console.prototype.send = function (data) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  };

  Console.prototype.connect = function () {
    var term = this.terminal();
    this.fit.fit();
    term.reset();
    term.options.disableStdin = false;
    var mode = this.ui.querySelector("input[name=console-mode]:checked").value;
    var socket = new WebSocket(socketUrl(this.ui.getAttribute("data-socket"), mode, term));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.showConnected(true);
    this.say("Connecting…", "connecting");
    var opened = false, ended = null;
    socket.addEventListener("open", function () {
      opened = true;
      this.send(JSON.stringify({ resize: [term.cols, term.rows] }));  // in case it changed while connecting
      this.say("Connected: " + mode + ".", "connected");
      term.focus();
    }.bind(this));
    socket.addEventListener("message", function (event) {
      if (typeof event.data !== "string") {
        term.write(new Uint8Array(event.data));
        return;
      }
      var message = parse(event.data);
      if (message.event === "ended") ended = message;
    });
    socket.addEventListener("close", function () {
      if (this.socket !== socket) return;  // one the user closed
      this.socket = null;
      if (ended) this.finish(ended.message ? "Session ended: " + sentence(ended.message) : ENDED, "ended");
      else if (opened) this.finish(DROPPED, "dropped");
      else this.finish(REFUSED, "refused");  // a refused handshake tells the page nothing more
    }.bind(this));
  };

  Console.prototype.disconnect = function () {
    var socket = this.socket;
    this.socket = null;
    if (socket) socket.close(1000);
    this.finish("Disconnected.", "closed");
  };

  Console.prototype.finish = function (text, state) {
    this.term.options.disableStdin = true;
    this.showConnected(false);
    this.buttons.connect.textContent = "Reconnect";
    this.say(text, state);
  };

  Console.prototype.showConnected = function (connected) {
    this.buttons.connect.hidden = connected;
    this.buttons.disconnect.hidden = !connected;
    this.ui.querySelectorAll("input[name=console-mode]").forEach(function (input) { input.disabled = connected; });
  };

  // Full screen: the section covers the viewport (CSS); the ResizeObserver refits the terminal.
  Console.prototype.toggleFullScreen = function () {
    var full = this.section.classList.toggle("console-full");
    document.documentElement.classList.toggle("console-fullscreen", full);
    this.buttons.fullscreen.setAttribute("aria-pressed", String(full));
    this.buttons.fullscreen.textContent = full ? "Leave full screen" : "Full screen";
    if (this.term) this.term.focus();
  };

  // Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes (the browser's paste, which xterm
  // takes), as in a desktop terminal: Ctrl+C and Ctrl+V stay the terminal's own keys.
  function clipboardKeys(term) {
    return function (event) {
      if (!(event.ctrlKey && event.shiftKey && (event.code === "KeyC" || event.code === "KeyV"))) return true;
      if (event.type === "keydown" && event.code === "KeyC") {
        event.preventDefault();  // Chromium would open its inspector
        if (term.hasSelection()) document.execCommand("copy");  // xterm fills the copy event
      }
      return false;
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".console-ui[data-socket]").forEach(function (ui) { new Console(ui); });
  });
})();
