/*
 * Experiment Desktops: the plugin's own console page (console_client.html), an ES module
 * (*.mjs: Horizon's static-file discovery bundles only *.js, as classic scripts).
 *
 * It drives the vendored noVNC core (static/heps_desktops/vendor/novnc, pinned) through
 * nova's websocket proxy with the console token and chooses the encodings itself:
 *  - "lossless": no JPEG quality pseudo-encoding and no JPEG/H.264 encodings, so TigerVNC
 *    sends Tight without JPEG (zlib), ZRLE, ... : the canvas equals the framebuffer;
 *  - "balanced" / "low": noVNC's usual list with the JPEG quality level from the page.
 * Settings come in the URL's fragment (never sent to a server; the token is in it):
 * ws, quality, jpeg (0-9, empty = none), compression (0-9), view_only (0|1), scale.
 *
 * window.hepsConsole exposes the state and counters of JPEG rectangles received (for
 * the display-fidelity benchmark and tests).
 */
import RFB from '../vendor/novnc/core/rfb.mjs';
import { encodings } from '../vendor/novnc/core/encodings.mjs';

const root = document.getElementById('heps-client');
const statusEl = root.querySelector('.heps-client-status');
const params = new URLSearchParams(window.location.hash.slice(1));
const state = {
  rfb: null,
  status: 'connecting',
  quality: params.get('quality') || 'lossless',
  stats: { jpegRects: 0, h264Rects: 0 },
};
window.hepsConsole = state;

function say(key) {
  state.status = key;
  root.setAttribute('data-status', key);
  statusEl.textContent = root.getAttribute('data-state-' + key) || key;
}

function level(name, fallback) {
  const value = params.get(name);
  if (value === null || value === '') {
    return fallback;
  }
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 9 ? n : fallback;
}

class ConsoleRFB extends RFB {
  // The stock list always carries a JPEG quality level: any level lets TigerVNC use JPEG.
  _sendEncodings() {
    if (!this.hepsLossless) {
      super._sendEncodings();
      return;
    }
    const e = encodings;
    const encs = [e.encodingCopyRect];
    if (this._fbDepth === 24) {
      encs.push(e.encodingTight, e.encodingZRLE, e.encodingHextile, e.encodingRRE,
                e.encodingZlib);
    }
    encs.push(e.encodingRaw);
    encs.push(e.pseudoEncodingCompressLevel0 + this._compressionLevel);
    encs.push(e.pseudoEncodingDesktopSize, e.pseudoEncodingLastRect,
              e.pseudoEncodingQEMUExtendedKeyEvent, e.pseudoEncodingQEMULedEvent,
              e.pseudoEncodingExtendedDesktopSize, e.pseudoEncodingXvp,
              e.pseudoEncodingFence, e.pseudoEncodingContinuousUpdates,
              e.pseudoEncodingDesktopName, e.pseudoEncodingExtendedClipboard,
              e.pseudoEncodingExtendedMouseButtons);
    if (this._fbDepth === 24) {
      encs.push(e.pseudoEncodingVMwareCursor, e.pseudoEncodingCursor);
    }
    RFB.messages.clientEncodings(this._sock, encs);
  }
}

function count(decoder, method, counter) {
  if (decoder && typeof decoder[method] === 'function') {
    const original = decoder[method];
    decoder[method] = function (...args) {
      state.stats[counter] += 1;
      return original.apply(this, args);
    };
  }
}

function setScale(rfb, scale) {
  rfb.scaleViewport = scale === 'fit';
  rfb.clipViewport = false;
  root.querySelectorAll('.heps-client-scale').forEach((button) => {
    button.setAttribute('aria-pressed', String(button.dataset.scale === scale));
  });
  state.scale = scale;
  try {
    window.localStorage.setItem('heps-console-scale-' + state.quality, scale);
  } catch (err) { /* storage off: the choice lasts this page */ }
}

function initialScale() {
  let saved = null;
  try {
    saved = window.localStorage.getItem('heps-console-scale-' + state.quality);
  } catch (err) { /* storage off */ }
  const asked = params.get('scale') || saved;
  if (asked === 'fit' || asked === '1:1') {
    return asked;
  }
  return state.quality === 'lossless' ? '1:1' : 'fit';
}

function wireClipboard(rfb, viewOnly) {
  const toggle = root.querySelector('.heps-client-clipboard-toggle');
  const panel = root.querySelector('.heps-client-clipboard');
  const text = panel.querySelector('textarea');
  const send = panel.querySelector('.heps-client-clipboard-send');
  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
  });
  rfb.addEventListener('clipboard', (evt) => {
    text.value = evt.detail.text;
    if (navigator.clipboard && document.hasFocus()) {
      navigator.clipboard.writeText(evt.detail.text).catch(() => {});
    }
  });
  if (viewOnly) {
    send.hidden = true;
    text.readOnly = true;
    return;
  }
  send.addEventListener('click', () => {
    rfb.clipboardPasteFrom(text.value);
    rfb.focus();
  });
}

function connect() {
  const url = params.get('ws') || '';
  if (!/^wss?:\/\//.test(url)) {
    say('invalid');
    return;
  }
  const label = root.getAttribute('data-quality-' + state.quality);
  root.querySelector('.heps-client-quality').textContent = label || '';
  say('connecting');
  const rfb = new ConsoleRFB(root.querySelector('.heps-client-screen'), url,
                             { shared: true });
  state.rfb = rfb;
  const jpeg = level('jpeg', null);
  rfb.hepsLossless = jpeg === null;
  if (jpeg !== null) {
    rfb.qualityLevel = jpeg;
  }
  rfb.compressionLevel = level('compression', 2);
  rfb.viewOnly = params.get('view_only') === '1';
  rfb.focusOnClick = true;
  count(rfb._decoders[encodings.encodingTight], '_jpegRect', 'jpegRects');
  count(rfb._decoders[encodings.encodingJPEG], 'decodeRect', 'jpegRects');
  count(rfb._decoders[encodings.encodingH264], 'decodeRect', 'h264Rects');
  let connected = false;
  rfb.addEventListener('connect', () => {
    connected = true;
    say('connected');
    rfb.focus();
  });
  rfb.addEventListener('disconnect', () => say(connected ? 'disconnected' : 'failed'));
  root.querySelectorAll('.heps-client-scale').forEach((button) => {
    button.addEventListener('click', () => setScale(rfb, button.dataset.scale));
  });
  setScale(rfb, initialScale());
  wireClipboard(rfb, rfb.viewOnly);
  window.addEventListener('focus', () => rfb.focus());
}

connect();
