// Notifications on this device: registers the service worker (/sw.js), and with the person's permission
// subscribes this browser to Web Push with the server's VAPID key and hands the subscription to the
// server (POST /push/subscriptions, PushSubscription.toJSON() as JSON). Once permission is granted, every
// page load hands it over again, so the server always has this browser's current subscription, for the
// account signed in now. The sidebar's button turns notifications on and off.
(function () {
  'use strict';

  var app = document.getElementById('app');
  if (!app || !app.getAttribute('data-user')) return;
  var supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  var button = document.getElementById('notifications-toggle');
  var status = document.getElementById('notifications-status');

  function csrf() {
    try { return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''; } catch (e) { return ''; }
  }
  function say(text) { if (status) status.textContent = text; }
  function show(state) {
    if (!button) return;
    button.hidden = false;
    button.setAttribute('aria-pressed', state === 'on' ? 'true' : 'false');
    button.textContent = state === 'on' ? 'Notifications on' : 'Turn on notifications';
    button.disabled = state === 'blocked';
    if (state === 'blocked') say('Notifications are blocked for this site in the browser\u2019s settings.');
  }

  // The VAPID key as PushManager wants it: the raw bytes of the base64url text.
  function keyBytes(text) {
    var b64 = text.trim().replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function sameKey(a, b) {
    if (!a || !b) return false;
    a = new Uint8Array(a);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function send(sub) {
    return fetch('/push/subscriptions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(sub.toJSON())
    }).then(function (res) {
      if (!res.ok) return res.text().then(function (t) { throw new Error(t || ('HTTP ' + res.status)); });
      show('on');
      say('');
    });
  }

  // Subscribes (or keeps the subscription made with the current key) and tells the server.
  function subscribe(registration) {
    return fetch('/push/vapid-public-key', { credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) throw new Error('The server has no notification key yet.');
      return res.text();
    }).then(function (text) {
      var key = keyBytes(text);
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing && existing.options && existing.options.applicationServerKey &&
            !sameKey(existing.options.applicationServerKey, key)) {
          return existing.unsubscribe().then(function () { return null; });
        }
        return existing;
      }).then(function (existing) {
        return existing || registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      });
    }).then(send);
  }

  function turnOff(registration) {
    return registration.pushManager.getSubscription().then(function (sub) {
      if (!sub) return;
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return fetch('/push/subscriptions', {
          method: 'DELETE',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
          body: JSON.stringify({ endpoint: endpoint })
        });
      });
    }).then(function () { show('off'); say('Notifications are off in this browser.'); });
  }

  if (!supported) {
    if (button) button.hidden = true;
    return;
  }
  var ready = navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(function () {
    return navigator.serviceWorker.ready;
  });
  ready.catch(function (e) { say('Notifications are not available here: ' + e.message); });

  if (Notification.permission === 'granted') {
    // The button shows once the server has this browser's subscription (or it failed).
    ready.then(subscribe).catch(function (e) { show('off'); say('Notifications could not be turned on: ' + e.message); });
  } else {
    show(Notification.permission === 'denied' ? 'blocked' : 'off');
  }

  if (button) button.addEventListener('click', function () {
    if (button.getAttribute('aria-pressed') === 'true') {
      ready.then(turnOff).catch(function (e) { say('Notifications could not be turned off: ' + e.message); });
      return;
    }
    Notification.requestPermission().then(function (permission) {
      if (permission !== 'granted') { show(permission === 'denied' ? 'blocked' : 'off'); return; }
      return ready.then(subscribe);
    }).catch(function (e) { show('off'); say('Notifications could not be turned on: ' + e.message); });
  });
})();
