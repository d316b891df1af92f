/* Admin › GPU Capacity: reload the board (.heps-capacity) every
 * data-heps-capacity-refresh seconds while the page is visible, and at once on the
 * Refresh button. The board is read again from placement by the same page URL (a GET
 * that changes nothing); only the board's element is replaced. */
(function () {
  'use strict';
  var timer = null;
  function board() { return document.querySelector('[data-heps-capacity-refresh]'); }
  function reload() {
    var box = board();
    if (!box) { return; }
    var request = new XMLHttpRequest();
    request.open('GET', window.location.pathname + window.location.search);
    request.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    request.onload = function () {
      if (request.status === 200 && box.parentNode) {
        var holder = document.createElement('div');
        holder.innerHTML = request.responseText;
        var fresh = holder.querySelector('[data-heps-capacity-refresh]');
        if (fresh) { box.parentNode.replaceChild(fresh, box); }
      }
      schedule();
    };
    request.onerror = schedule;
    request.send();
  }
  function schedule() {
    var box = board();
    if (!box) { return; }
    var seconds = parseInt(box.getAttribute('data-heps-capacity-refresh'), 10) || 30;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (document.hidden) { return schedule(); }
      reload();
    }, seconds * 1000);
  }
  document.addEventListener('click', function (event) {
    var target = event.target.closest && event.target.closest('.heps-capacity-reload');
    if (target && board()) {
      event.preventDefault();
      window.clearTimeout(timer);
      reload();
    }
  });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', schedule);
  } else {
    schedule();
  }
})();
