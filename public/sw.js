// eelchat's service worker: shows the notifications the server pushes (src/push/payload.hpp says what
// they carry) and opens the channel at that message when one is clicked. It caches nothing: eelchat is a
// live chat, and a stale page would show stale messages.
'use strict';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener('push', function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : '' }; }
  var title = data.title || 'eelchat';
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || '',
    tag: data.tag || undefined,
    renotify: !!data.tag,
    icon: '/img/app-icon.svg',
    badge: '/favicon.svg',
    data: { url: data.url || '/app' }
  }));
});

self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  // Only our own pages: the address comes from our server, but never follow one elsewhere.
  var target = new URL((event.notification.data && event.notification.data.url) || '/app', self.location.origin);
  if (target.origin !== self.location.origin) target = new URL('/app', self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      var w = windows[i];
      if (new URL(w.url).origin === target.origin && 'navigate' in w) {
        // navigate() works only for a page this worker controls; any other opens a new window.
        return w.focus().then(function (focused) { return focused.navigate(target.href); })
          .catch(function () { return self.clients.openWindow(target.href); });
      }
    }
    return self.clients.openWindow(target.href);
  }));
});
