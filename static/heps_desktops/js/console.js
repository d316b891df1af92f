/*
 * Experiment Desktops: the desktop Console tab (heps_desktops/desktops/_detail_console.html).
 *
 * - keyboard focus goes to the console when it loads and when its tab is shown;
 * - "Full screen" puts the console frame in full screen (hidden where the browser cannot);
 * - the display quality and VNC/SPICE choices are remembered per user in a cookie (its
 *   name, derived from the user id, comes from the page) and applied by fetching the tab
 *   again: the server builds a fresh console URL (new token) with the chosen settings.
 *
 * Horizon's AUTO_DISCOVER_STATIC_FILES puts this file in every page's script bundle;
 * it only acts on .heps-console elements. Every label is in the (translated) template.
 */
(function ($) {
  'use strict';

  var YEAR = 365 * 24 * 3600;

  function frameOf(box) {
    return box.querySelector('iframe.heps-console-frame');
  }

  function focusConsole(box) {
    var frame = frameOf(box);
    if (frame && $(frame).is(':visible')) {
      frame.focus();
    }
  }

  function savePreference(box, quality, protocol) {
    var name = box.getAttribute('data-preference-cookie');
    var value = quality + ':' + protocol;
    // Both parts come from fixed lists: no encoding needed (the server reads it raw).
    if (!name || !/^[a-z]+:[A-Z]+$/.test(value)) {
      return;
    }
    document.cookie = name + '=' + value +
      '; path=/; max-age=' + YEAR + '; samesite=lax' +
      (window.location.protocol === 'https:' ? '; secure' : '');
  }

  function reload(box, protocol) {
    var url = box.getAttribute('data-reload-url');
    if (protocol) {
      url += '&console=' + encodeURIComponent(protocol);
    }
    var $box = $(box).addClass('heps-console-loading');
    $.ajax({url: url, cache: false, dataType: 'html'})
      .done(function (html) {
        var $fresh = $('<div>').html(html).children();
        $box.replaceWith($fresh);
        init($fresh);
      })
      .fail(function () {
        $box.removeClass('heps-console-loading');
      });
  }

  function setUp(box) {
    if (box.getAttribute('data-heps-ready')) {
      return;
    }
    box.setAttribute('data-heps-ready', 'true');
    var frame = frameOf(box);
    if (!frame) {
      return;
    }
    frame.addEventListener('load', function () {
      focusConsole(box);
    });
    // A click anywhere in the console area (outside the frame too) gives it the keyboard.
    box.addEventListener('click', function (evt) {
      if (!$(evt.target).closest('a, button, select, label').length) {
        frame.focus();
      }
    });
    var fullscreen = box.querySelector('.heps-console-fullscreen');
    if (fullscreen && frame.requestFullscreen && document.fullscreenEnabled !== false) {
      fullscreen.classList.remove('hidden');
      fullscreen.addEventListener('click', function () {
        var done = frame.requestFullscreen();
        if (done && done.then) {
          done.then(function () { frame.focus(); }, function () {});
        }
      });
    }
    focusConsole(box);
  }

  function init(root) {
    $(root).find('.heps-console').addBack('.heps-console').each(function () {
      setUp(this);
    });
  }

  // Controls are delegated: the console box is replaced when it is fetched again.
  $(document).on('change', '.heps-console .heps-console-quality', function () {
    var box = $(this).closest('.heps-console')[0];
    savePreference(box, this.value, box.getAttribute('data-protocol-choice') || 'AUTO');
    reload(box);
  });

  $(document).on('click', '.heps-console .heps-console-protocol', function (evt) {
    var box = $(this).closest('.heps-console')[0];
    var protocol = this.getAttribute('data-protocol');
    evt.preventDefault();
    if ($(this).hasClass('active')) {
      focusConsole(box);
      return;
    }
    savePreference(box, box.getAttribute('data-quality'), protocol);
    reload(box, protocol);
  });

  $(document).on('shown.bs.tab', '.nav-tabs a[data-toggle="tab"]', function (evt) {
    $($(evt.target).attr('data-target')).find('.heps-console').each(function () {
      focusConsole(this);
    });
  });

  horizon.addInitFunction(function () {
    init(document.body);
    horizon.tabs.addTabLoadFunction(init);
  });
}(jQuery));
