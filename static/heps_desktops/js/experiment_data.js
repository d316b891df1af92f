/* Experiment data tab: while data is being attached or detached, reload the tab every
 * few seconds (backing off to 15 s). Each reload runs one step of the attach/detach on
 * the server side (desktops/experiments.py), so this polling is what moves it on when
 * the Desktops list is not open. Stops when the state is final or after 30 minutes. */
(function () {
  'use strict';
  var delay = 3000, started = Date.now();
  function poll() {
    var box = document.querySelector('[data-heps-experiment-poll]');
    if (!box) { delay = 3000; started = Date.now(); return schedule(); }
    if (Date.now() - started > 30 * 60 * 1000) { return; }
    var request = new XMLHttpRequest();
    request.open('GET', box.getAttribute('data-heps-experiment-poll'));
    request.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    request.onload = function () {
      if (request.status === 200 && box.parentNode) {
        var holder = document.createElement('div');
        holder.innerHTML = request.responseText;
        var fresh = holder.querySelector('.heps-experiment-data');
        if (fresh) { box.parentNode.replaceChild(fresh, box); }
      }
      delay = Math.min(delay * 1.5, 15000);
      schedule();
    };
    request.onerror = function () { delay = 15000; schedule(); };
    request.send();
  }
  function schedule() { window.setTimeout(poll, delay); }
  schedule();
})();
