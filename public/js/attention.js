// Attention: what is new and who wants you. Every page of a community keeps one WebSocket of its own,
// the attention stream (GET /community/:id/stream, JSON frames: src/realtime/attention_frames.hpp), for
// what concerns the reader rather than the channel on screen: unread counts and mention marks in the
// sidebar and the tab title, the read marker (saved when the newest message is on screen in a visible
// tab, and cleared on every other page of the reader's), who is typing, who is here. It also offers
// people to mention after "@" in the composer.
(function () {
  'use strict';

  var app = document.getElementById('app');
  if (!app || !app.getAttribute('data-community')) return;
  var community = app.getAttribute('data-community');
  var me = app.getAttribute('data-me');
  var baseTitle = document.title;

  function activeChannel() { return app.getAttribute('data-channel'); }
  function messages() { return document.getElementById('messages'); }
  function cursor() {
    var c = document.getElementById('event-cursor');
    return c && c.value ? parseInt(c.value, 10) : 0;
  }

  // --- Unread counts --------------------------------------------------------------------------------
  // Per channel: the counts as the server last gave them (base, up to seq `l`) and the new messages
  // heard of since (items, by seq, so a message is counted once however often it is heard of).
  var state = {};
  function channelState(id) {
    if (!state[id]) {
      var row = document.getElementById('channel-link-' + id);
      state[id] = {
        l: row ? parseInt(row.getAttribute('data-seq') || '0', 10) : 0,
        n: row ? parseInt(row.getAttribute('data-unread') || '0', 10) : 0,
        m: row ? parseInt(row.getAttribute('data-mentions') || '0', 10) : 0,
        items: {}
      };
    }
    return state[id];
  }
  function counts(id) {
    var s = channelState(id), n = s.n, m = s.m;
    Object.keys(s.items).forEach(function (seq) {
      if (+seq > s.l) { n += 1; if (s.items[seq]) m += 1; }
    });
    return { n: n, m: m };
  }
  function setBase(id, l, n, m) {
    var s = channelState(id);
    s.l = l; s.n = n; s.m = m;
    Object.keys(s.items).forEach(function (seq) { if (+seq <= l) delete s.items[seq]; });
  }
  function visible() { return document.visibilityState === 'visible'; }

  function show(id) {
    var row = document.getElementById('channel-link-' + id);
    var c = counts(id);
    var here = id === activeChannel() && visible();
    if (row) {
      var link = row.querySelector('a.channel-link');
      var badge = row.querySelector('.unread-badge');
      var mark = row.querySelector('.mention-mark');
      if (link && badge) {
        var shown = c.n > 0 && !here;
        badge.hidden = !shown;
        badge.querySelector('.unread-count').textContent = String(c.n);
        link.classList.toggle('channel-unread', shown);
        if (mark) mark.hidden = !(shown && c.m > 0);
      }
    }
  }
  function showTitle() {
    var total = 0;
    Array.prototype.forEach.call(document.querySelectorAll('.channel-row[data-channel]'), function (row) {
      var id = row.getAttribute('data-channel');
      if (id === activeChannel() && visible()) return;
      total += counts(id).n;
    });
    document.title = (total > 0 ? '(' + total + ') ' : '') + baseTitle;
  }
  function showAll() {
    Array.prototype.forEach.call(document.querySelectorAll('.channel-row[data-channel]'), function (row) {
      show(row.getAttribute('data-channel'));
    });
    showTitle();
  }

  // --- Read marker ----------------------------------------------------------------------------------
  var sentRead = {};
  var holdRead = false; // after "Mark as unread", until the reader scrolls or types
  var readTimer = null;
  function atBottom() {
    var m = messages();
    return !!m && m.scrollHeight - m.scrollTop - m.clientHeight < 48;
  }
  function maybeRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var id = activeChannel();
      if (!id || holdRead || !visible() || !atBottom()) return;
      var seq = cursor();
      if (!seq || sentRead[id] >= seq) return;
      if (send({ t: 'read', c: id, s: seq })) sentRead[id] = seq;
    }, 300);
  }

  // --- Typing ---------------------------------------------------------------------------------------
  var typists = {}; // membership -> { name, until }
  var typingTimer = null;
  function showTyping() {
    var line = document.getElementById('typing');
    if (!line) return;
    var now = Date.now(), names = [];
    Object.keys(typists).forEach(function (k) {
      if (typists[k].until <= now) delete typists[k]; else names.push(typists[k].name);
    });
    var text = '';
    if (names.length === 1) text = names[0] + ' is typing…';
    else if (names.length === 2) text = names[0] + ' and ' + names[1] + ' are typing…';
    else if (names.length > 2) text = 'Several people are typing…';
    if (line.textContent !== text) line.textContent = text;
    clearTimeout(typingTimer);
    if (names.length) typingTimer = setTimeout(showTyping, 1000);
  }
  var lastTyping = 0;
  document.addEventListener('input', function (e) {
    if (!e.target || e.target.id !== 'text' || !e.target.value) return;
    var now = Date.now();
    if (now - lastTyping < 3000 || !activeChannel()) return;
    lastTyping = now;
    send({ t: 'typing', c: activeChannel() });
  });

  // --- Presence -------------------------------------------------------------------------------------
  function setOnline(user, on) {
    Array.prototype.forEach.call(document.querySelectorAll('.presence-dot[data-user="' + CSS.escape(user) + '"]'),
      function (dot) {
        dot.classList.toggle('presence-online', on);
        dot.setAttribute('aria-label', on ? 'online' : 'offline');
        dot.title = on ? 'online' : 'offline';
      });
  }

  // --- The stream -----------------------------------------------------------------------------------
  var socket = null, retry = 1000;
  function send(obj) {
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(obj));
    return true;
  }
  function apply(f) {
    if (f.t === 'm') {
      var s = channelState(f.c);
      f.i.forEach(function (it) {
        var seq = it[0], author = it[1], mentioned = it[2].indexOf(me) >= 0 || it[3], reply = it[4];
        if (seq <= s.l || author === me || (reply && !mentioned)) return;
        s.items[seq] = mentioned;
        if (author) delete typists[author];
      });
      show(f.c); showTitle(); showTyping();
    } else if (f.t === 'r') {
      setBase(f.c, f.l, f.n, f.m);
      if (f.c === activeChannel() && f.s < cursor()) { holdRead = true; sentRead[f.c] = f.s; }
      show(f.c); showTitle();
    } else if (f.t === 'u') {
      f.c.forEach(function (c) { setBase(c[0], c[1], c[3], c[4]); });
      showAll();
      maybeRead();
    } else if (f.t === 't') {
      if (f.u === me || f.c !== activeChannel()) return;
      typists[f.u] = { name: f.n, until: Date.now() + 6000 };
      showTyping();
    } else if (f.t === 'p') {
      setOnline(f.u, f.on);
    } else if (f.t === 'o') {
      var here = {};
      f.u.forEach(function (u) { here[u] = true; });
      Array.prototype.forEach.call(document.querySelectorAll('.presence-dot[data-user]'), function (dot) {
        setOnline(dot.getAttribute('data-user'), !!here[dot.getAttribute('data-user')]);
      });
    }
  }
  function connect() {
    var u = new URL('/community/' + community + '/stream', window.location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (visible()) u.searchParams.set('visible', '1');
    socket = new WebSocket(u.toString());
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      apply(f);
    };
    socket.onclose = function (e) {
      socket = null;
      if (e.code === 1008) return; // refused: signed out, not a member, too many tabs
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  document.addEventListener('visibilitychange', function () {
    send({ t: 'visible', v: visible() });
    showAll();
    maybeRead();
  });
  document.addEventListener('scroll', function (e) {
    if (e.target === messages()) { holdRead = false; maybeRead(); }
  }, true);
  document.addEventListener('htmx:wsAfterMessage', maybeRead);
  document.addEventListener('keydown', function (e) { if (e.target && e.target.id === 'text') holdRead = false; });

  // Opening a channel: to the "New" line if there is one, else to the newest message.
  function arrive() {
    var m = messages();
    if (!m) return;
    var line = document.getElementById('new-messages');
    if (line) m.scrollTop = Math.max(0, line.offsetTop - m.offsetTop - 40);
    else m.scrollTop = m.scrollHeight;
  }

  // Mentions of the reader stand out.
  function markMentions(root) {
    if (!root || !root.querySelectorAll) return;
    Array.prototype.forEach.call(root.querySelectorAll('.mention[data-member]'), function (el) {
      var mine = el.getAttribute('data-member') === me;
      el.classList.toggle('mention-me', mine);
      var msg = el.closest('.message');
      if (mine && msg) msg.classList.add('message-mentions-me');
    });
    Array.prototype.forEach.call(root.querySelectorAll('.mention-channel'), function (el) {
      var msg = el.closest('.message');
      if (msg && msg.getAttribute('data-author') !== me) msg.classList.add('message-mentions-me');
    });
  }

  // --- The mention picker ---------------------------------------------------------------------------
  var picker = { open: false, start: -1, items: [], index: 0, timer: null, asked: '' };
  function list() { return document.getElementById('mention-list'); }
  function box() { return document.getElementById('text'); }
  function closePicker() {
    picker.open = false; picker.items = [];
    var l = list(); if (l) { l.hidden = true; l.innerHTML = ''; }
    var b = box(); if (b) { b.setAttribute('aria-expanded', 'false'); b.removeAttribute('aria-activedescendant'); }
  }
  function renderPicker() {
    var l = list(), b = box();
    if (!l || !b) return;
    l.innerHTML = '';
    picker.items.forEach(function (p, i) {
      var li = document.createElement('li');
      li.id = 'mention-option-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === picker.index ? 'true' : 'false');
      li.textContent = p.name;
      li.addEventListener('mousedown', function (e) { e.preventDefault(); choose(i); });
      l.appendChild(li);
    });
    var open = picker.items.length > 0;
    l.hidden = !open; picker.open = open;
    b.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) b.setAttribute('aria-activedescendant', 'mention-option-' + picker.index);
  }
  function choose(i) {
    var b = box(), p = picker.items[i];
    if (!b || !p) return;
    var end = b.selectionStart, text = b.value;
    var insert = p.special ? '@channel ' : '@**' + p.name + '** ';
    b.value = text.slice(0, picker.start) + insert + text.slice(end);
    var at = picker.start + insert.length;
    b.setSelectionRange(at, at);
    closePicker();
    b.focus();
  }
  function query() {
    var b = box();
    if (!b) return null;
    var upto = b.value.slice(0, b.selectionStart);
    var at = upto.lastIndexOf('@');
    if (at < 0 || (at > 0 && !/\s/.test(upto.charAt(at - 1)))) return null;
    var q = upto.slice(at + 1);
    if (q.length > 30 || /[\n*@]/.test(q) || /\s\s/.test(q)) return null;
    return { start: at, q: q };
  }
  document.addEventListener('input', function (e) {
    if (!e.target || e.target.id !== 'text') return;
    var found = query();
    if (!found) { closePicker(); return; }
    picker.start = found.start;
    clearTimeout(picker.timer);
    picker.timer = setTimeout(function () {
      var m = messages();
      if (!m) return;
      picker.asked = found.q;
      fetch(m.getAttribute('data-mentionable') + '?q=' + encodeURIComponent(found.q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (people) {
          if (picker.asked !== found.q) return;
          var items = people.filter(function (p) { return p.id !== me; });
          if ('channel'.indexOf(found.q.toLowerCase()) === 0)
            items.push({ name: 'channel (everyone here)', special: true });
          picker.items = items; picker.index = 0;
          renderPicker();
        })
        .catch(function () { closePicker(); });
    }, 120);
  });
  document.addEventListener('keydown', function (e) {
    if (!picker.open || !e.target || e.target.id !== 'text') return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      var n = picker.items.length;
      picker.index = (picker.index + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      renderPicker();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      choose(picker.index);
    } else if (e.key === 'Escape') {
      closePicker();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }, true);
  document.addEventListener('focusout', function (e) { if (e.target && e.target.id === 'text') setTimeout(closePicker, 150); });

  htmx.onLoad(function (elt) { markMentions(elt.parentNode || elt); });
  function start() {
    markMentions(document);
    arrive();
    showAll();
    connect();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
