// eelchat's own glue for htmx and its WebSocket extension (loaded after them). The server renders every
// message once for all viewers; this file adds what differs per viewer (one's own Edit and Delete
// buttons, an admin's buttons, one's own reactions highlighted), groups consecutive messages, shows
// times in the reader's time zone with a line between days, and the keyboard shortcuts.
(function () {
  'use strict';

  function app() { return document.getElementById('app'); }
  function me() { var a = app(); return a ? a.getAttribute('data-me') : null; }
  function isAdmin() { var a = app(); return !!a && a.getAttribute('data-admin') === 'true'; }

  // The last event of the channel's history this page applied; every event frame updates it.
  function cursor() {
    var c = document.getElementById('event-cursor');
    return c && c.value ? c.value : null;
  }

  // Every (re)connect carries the cursor, so after a dropped connection the server replays exactly what
  // this page missed, once each and in order, without a reload.
  htmx.createWebSocket = function (url) {
    var u = new URL(url, window.location.href);
    var seq = cursor();
    if (seq) u.searchParams.set('after', seq); else u.searchParams.delete('after');
    return new WebSocket(u.toString());
  };

  // A message's buttons say what they do relative to it ("edit", "reactions", "." for the message itself);
  // the address is the channel's (data-href of #messages) + /message/ + the message's id.
  document.addEventListener('htmx:configRequest', function (e) {
    var p = e.detail.path;
    if (!p || p.charAt(0) === '/' || p.indexOf(':') >= 0) return;
    var msg = e.detail.elt.closest('.message[data-id]');
    var list = document.getElementById('messages');
    if (!msg || !list) return;
    e.detail.path = list.getAttribute('data-href') + '/message/' + msg.getAttribute('data-id') + (p === '.' ? '' : '/' + p);
  });

  // Some parts of an event frame update what a page may not show: the replies of a thread that is not
  // open, a message not loaded. htmx reports an out-of-band swap without a target as an error, so such
  // parts are dropped before the swap (the extension is on #messages, beside "ws").
  htmx.defineExtension('eelchat-oob', {
    transformResponse: function (text) {
      if (text.indexOf('hx-swap-oob') < 0) return text;
      var t = document.createElement('template');
      t.innerHTML = text;
      var dropped = false;
      Array.prototype.slice.call(t.content.children).forEach(function (el) {
        var spec = el.getAttribute('hx-swap-oob') || 'true';
        var colon = spec.indexOf(':');
        var selector = colon > 0 ? spec.slice(colon + 1) : (el.id ? '#' + CSS.escape(el.id) : null);
        if (selector && !document.querySelector(selector)) { el.remove(); dropped = true; }
      });
      return dropped ? t.innerHTML : text;
    }
  });

  // The server closes with 1008 and a reason when this socket is over a limit (too many open tabs) or
  // its reader lost access: say so above the messages, since live updates stop until the page reloads.
  document.addEventListener('htmx:wsClose', function (e) {
    var ev = e.detail && e.detail.event;
    if (!ev || ev.code !== 1008 || !ev.reason) return;
    var m = document.getElementById('messages');
    if (!m) return;
    var notice = document.getElementById('connection-notice');
    if (!notice) {
      notice = document.createElement('p');
      notice.id = 'connection-notice';
      notice.setAttribute('role', 'alert');
      notice.className = 'text-sm text-red-600';
      m.parentNode.insertBefore(notice, m);
    }
    notice.textContent = 'Live updates stopped: ' + ev.reason + '. Reload the page to reconnect.';
  });

  // Follow new messages only when the reader is at the bottom; someone who scrolled up keeps their place.
  var stick = true;
  document.addEventListener('htmx:wsBeforeMessage', function () {
    var m = document.getElementById('messages');
    if (m) stick = m.scrollHeight - m.scrollTop - m.clientHeight < 48;
  });
  document.addEventListener('htmx:wsAfterMessage', function () {
    var m = document.getElementById('messages');
    if (m && stick) m.scrollTop = m.scrollHeight;
    var t = document.querySelector('#thread .thread-replies');
    if (t) t.scrollTop = t.scrollHeight;
  });

  // --- What differs per viewer -------------------------------------------------------------------

  function decorateActions(root) {
    var mine = me(), admin = isAdmin();
    root.querySelectorAll('.message').forEach(function (msg) {
      var own = mine && msg.getAttribute('data-author') === mine;
      msg.classList.toggle('message-own', !!own);
      msg.querySelectorAll('.own-only').forEach(function (b) { b.hidden = !own; });
      msg.querySelectorAll('.own-or-admin').forEach(function (b) { b.hidden = !(own || admin); });
    });
    root.querySelectorAll('.admin-only').forEach(function (b) { b.hidden = !admin; });
    root.querySelectorAll('.reaction').forEach(function (b) {
      var by = (b.getAttribute('data-by') || '').split(' ');
      var pressed = !!mine && by.indexOf(mine) >= 0;
      b.setAttribute('aria-pressed', pressed ? 'true' : 'false');
      b.classList.toggle('reaction-mine', pressed);
    });
  }

  // --- Times, days and groups ----------------------------------------------------------------------

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  var dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  var fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
  var groupGapMs = 5 * 60 * 1000;

  function when(msg) { return new Date(msg.getAttribute('data-time') || ''); }
  function dayKey(d) { return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate(); }

  function localTimes(root) {
    root.querySelectorAll('.message time[datetime]').forEach(function (t) {
      if (t.hasAttribute('data-local')) return;
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d)) return;
      t.textContent = timeFormat.format(d);
      t.title = fullFormat.format(d);
      t.setAttribute('data-local', '');
    });
  }

  // Within one list (#messages or a thread), a message by the same author as the one before, within five
  // minutes on the same day, shows without its name and avatar; a new day starts with its date.
  function arrange(list) {
    if (!list) return;
    var prev = null;
    for (var el = list.firstElementChild; el; el = el.nextElementSibling) {
      if (!el.classList.contains('message')) {
        if (!el.classList.contains('day-divider')) prev = null;
        continue;
      }
      var d = when(el);
      var newDay = !prev || isNaN(d) || dayKey(d) !== dayKey(when(prev));
      var divider = el.previousElementSibling;
      var hasDivider = divider && divider.classList.contains('day-divider');
      if (newDay && !isNaN(d)) {
        if (!hasDivider) {
          divider = document.createElement('div');
          divider.className = 'day-divider';
          divider.setAttribute('role', 'separator');
          list.insertBefore(divider, el);
        }
        divider.textContent = dayFormat.format(d);
      } else if (hasDivider) {
        divider.remove();
      }
      var author = el.getAttribute('data-author');
      var grouped = !newDay && prev && author && author === prev.getAttribute('data-author') &&
        !el.classList.contains('message-system') && d - when(prev) < groupGapMs;
      el.classList.toggle('message-grouped', !!grouped);
      prev = el;
    }
  }

  function refresh(root) {
    decorateActions(root);
    localTimes(root);
  }

  htmx.onLoad(function (elt) {
    if (!elt || !elt.querySelectorAll) return;
    refresh(elt.parentNode || elt);
    if (elt.id === 'app' || elt === document.body) refresh(document);
    arrange(document.getElementById('messages'));
    arrange(document.querySelector('#thread .thread-replies'));
  });

  // --- Keyboard ------------------------------------------------------------------------------------

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented) return;
    if (e.key === 'Escape') {
      var picker = document.querySelector('.picker');
      if (picker) { picker.remove(); e.preventDefault(); return; }
      var thread = document.getElementById('thread');
      if (thread && thread.firstElementChild) { thread.innerHTML = ''; e.preventDefault(); var t = document.getElementById('text'); if (t) t.focus(); }
      return;
    }
    // Up arrow in an empty composer edits one's last message, as in Slack and Zulip.
    if (e.key === 'ArrowUp' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      var box = e.target;
      if (!box || box.id !== 'text' || box.value !== '') return;
      var mine = me();
      if (!mine) return;
      var own = document.querySelectorAll('#messages .message[data-author="' + CSS.escape(mine) + '"]:not(.message-deleted)');
      if (!own.length) return;
      var edit = own[own.length - 1].querySelector('.own-only');
      if (edit) { e.preventDefault(); edit.click(); }
    }
  });
})();
