// eelchat's own glue for htmx's WebSocket extension (loaded after it).
(function () {
  'use strict';

  // The newest message this page shows; the server starts delivery after it.
  function lastSeq() {
    var messages = document.querySelectorAll('#messages .message');
    return messages.length ? messages[messages.length - 1].getAttribute('data-seq') : null;
  }

  // Every (re)connect carries the cursor, so after a dropped connection the server replays exactly what
  // this page missed, once each and in order, without a reload.
  htmx.createWebSocket = function (url) {
    var u = new URL(url, window.location.href);
    var seq = lastSeq();
    if (seq) u.searchParams.set('after', seq); else u.searchParams.delete('after');
    return new WebSocket(u.toString());
  };

  // The server closes with 1008 and a reason when this socket is over a limit (too many open tabs): say
  // so above the messages, since live updates stop until the page is reloaded.
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
  });
})();
