// A channel page opened at a message (a search result, ?at=<id>): the server marks the message with the
// context note's data-at (its number in the channel); this marks it highlighted and brings it into view,
// after attention.js has put the page at its usual place (loaded after it, so its start runs later).
(function () {
  'use strict';

  function showOpenedMessage() {
    var note = document.getElementById('context-note');
    if (!note) return;
    var msg = document.getElementById('message-' + note.getAttribute('data-at'));
    if (!msg) return;
    msg.classList.add('message-at');
    msg.setAttribute('aria-current', 'true');
    msg.scrollIntoView({ block: 'center' });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', showOpenedMessage);
  else showOpenedMessage();
})();
