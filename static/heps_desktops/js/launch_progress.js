/*
 * Experiment Desktops: the Console tab while a desktop boots
 * (heps_desktops/desktops/_console_progress.html, dashboards/project/desktops/launch_status.py).
 *
 * Asks the desktop's status endpoint every data-interval ms (one request at a time, at
 * most data-max-polls times), shows the boot phases it returns, and when the status says
 * the console answers (or the desktop is no longer on its way up) loads the Console tab
 * again through Horizon's ajax tab loading, which then shows the console. A tab that
 * came back without a console although the desktop runs (data-retry: the console
 * service did not answer) tries again after data-interval ms, data-max-retries times.
 * Text from the server is only ever set with textContent.
 *
 * Horizon's AUTO_DISCOVER_STATIC_FILES puts this file in every page's script bundle; it
 * only acts on .heps-launch-progress elements.
 */
(function ($) {
  'use strict';

  var MIN_INTERVAL = 250;

  function setText(node, text) {
    if (node) {
      node.textContent = text == null ? '' : String(text);
    }
  }

  function renderPhases(box, phases) {
    var list = box.querySelector('.heps-launch-phases');
    if (!list || !$.isArray(phases)) {
      return;
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    phases.forEach(function (row) {
      var item = document.createElement('li');
      var label = document.createElement('span');
      var state = document.createElement('span');
      item.className = 'heps-launch-phase';
      item.setAttribute('data-phase', String(row.phase));
      item.setAttribute('data-state', String(row.state));
      label.className = 'heps-launch-phase-label';
      state.className = 'heps-launch-phase-state text-muted';
      setText(label, row.label);
      setText(state, row.state_label);
      item.appendChild(label);
      item.appendChild(document.createTextNode(' '));
      item.appendChild(state);
      list.appendChild(item);
    });
  }

  // The Console tab's content again, the way Horizon loads a lazy tab.
  function reloadTab(box) {
    var pane = $(box).closest('.tab-pane');
    var anchor = pane.length ?
      $('a[data-target="#' + pane.attr('id') + '"]') : $();
    box.setAttribute('data-heps-done', 'true');
    if (anchor.length && horizon.tabs && horizon.tabs.load_tab) {
      pane.empty();
      horizon.tabs.load_tab.call(anchor[0]);
      return;
    }
    window.location.reload();
  }

  function poll(box, state) {
    if (!document.body.contains(box) || box.getAttribute('data-heps-done')) {
      return;
    }
    if (state.count >= state.max) {
      $(box).find('.heps-launch-stalled').removeClass('hidden');
      return;
    }
    state.count += 1;
    $.ajax({url: box.getAttribute('data-status-url'), cache: false, dataType: 'json',
            timeout: 30000})
      .done(function (status) {
        setText(box.querySelector('.heps-launch-headline'), status.headline);
        renderPhases(box, status.phases);
        if (status.reload) {
          reloadTab(box);
          return;
        }
        window.setTimeout(function () { poll(box, state); }, state.interval);
      })
      .fail(function (xhr) {
        var body = xhr.responseJSON || {};
        if (xhr.status === 403 || xhr.status === 404) {
          // Refused or gone: say so and stop.
          setText(box.querySelector('.heps-launch-headline'), body.error || '');
          box.setAttribute('data-heps-done', 'true');
          return;
        }
        // A service briefly down: try again, a little slower.
        window.setTimeout(function () { poll(box, state); }, state.interval * 4);
      });
  }

  function start(box) {
    if (box.getAttribute('data-heps-polling')) {
      return;
    }
    box.setAttribute('data-heps-polling', 'true');
    var interval = parseInt(box.getAttribute('data-interval'), 10) || 1000;
    var state = {
      count: 0,
      max: parseInt(box.getAttribute('data-max-polls'), 10) || 600,
      interval: Math.max(interval, MIN_INTERVAL)
    };
    if (!box.getAttribute('data-retry')) {
      poll(box, state);
      return;
    }
    // The desktop runs but its console did not answer: try again a little later, a
    // bounded number of times (counted on the tab pane, which outlives the box).
    var pane = $(box).closest('.tab-pane');
    var tries = (pane.data('hepsConsoleRetries') || 0) + 1;
    pane.data('hepsConsoleRetries', tries);
    if (tries > (parseInt(box.getAttribute('data-max-retries'), 10) || 30)) {
      $(box).find('.heps-launch-stalled').removeClass('hidden');
      return;
    }
    window.setTimeout(function () { poll(box, state); }, state.interval);
  }

  function init(root) {
    $(root).find('.heps-launch-progress').addBack('.heps-launch-progress')
      .each(function () { start(this); });
  }

  horizon.addInitFunction(function () {
    init(document.body);
    horizon.tabs.addTabLoadFunction(init);
  });
}(jQuery));
