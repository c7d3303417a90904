// Files attached to a message. A composer form that carries data-upload-url (the channel's #compose, a
// thread's #thread-compose) takes files from its "Attach files" input, from a drop on the channel or the
// thread, and from a paste into its text box. Each file uploads at once, on its own (the raw bytes in one
// POST, so the server can refuse a file by its headers before reading it), and shows as a chip above the
// composer; a finished upload becomes a hidden attachment=<id> field of the form, so the message post is
// the ordinary htmx form post. Sending while uploads still run waits for them (htmx:confirm), because
// the post can only name uploads the server already has.
(function () {
  'use strict';

  var states = new WeakMap(); // form -> { entries: [], waiting: null, sent: [] }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''; } catch (e) { return ''; }
  }

  function stateOf(form) {
    var s = states.get(form);
    if (!s) { s = { entries: [], waiting: null, sent: [] }; states.set(form, s); }
    return s;
  }

  // A composer that takes files: one whose page gave it an upload address (a page rendered without one
  // leaves the attribute empty).
  var FORM = 'form[data-upload-url]:not([data-upload-url=""])';
  function isUploadForm(el) { return !!el && !!el.matches && el.matches(FORM); }
  function uploadForm(el) {
    return el && el.closest ? el.closest(FORM) : null;
  }

  // Sizes as the server writes them (text::human_size): binary units, as UPLOAD_MAX_MB counts, one
  // decimal below 10, so the page's own refusal reads like the server's.
  function sizeText(n) {
    if (n < 1024) return n + (n === 1 ? ' byte' : ' bytes');
    var units = ['KB', 'MB', 'GB', 'TB'], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v < 9.95 ? v.toFixed(1) : String(Math.round(v))) + ' ' + units[i];
  }

  // The form's error line (compose_error.mustache) is replaced by the server's answers, so it is looked
  // up each time rather than kept.
  function say(form, text) {
    var line = document.getElementById(form.id + '-error');
    if (line) line.textContent = text;
  }

  function listOf(form) {
    var list = document.getElementById(form.id + '-attachments');
    if (!list) {
      list = document.createElement('ul');
      list.id = form.id + '-attachments';
      list.className = 'upload-list';
      list.setAttribute('aria-label', 'Attachments');
      form.parentNode.insertBefore(list, form);
    }
    return list;
  }

  function showList(form) {
    var list = listOf(form);
    list.hidden = list.children.length === 0;
  }

  function button(className, label, text) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.setAttribute('aria-label', label);
    b.title = label;
    b.textContent = text;
    return b;
  }

  function chipFor(entry) {
    var li = document.createElement('li');
    li.className = 'upload-chip';
    li.setAttribute('data-state', 'sending');
    var name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = entry.name;
    var meta = document.createElement('span');
    meta.className = 'upload-meta';
    meta.textContent = sizeText(entry.size);
    var progress = document.createElement('progress');
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', 'Uploading ' + entry.name);
    var cancel = button('upload-cancel', 'Cancel ' + entry.name, '\u00d7');
    cancel.addEventListener('click', function () { entry.xhr.abort(); });
    li.append(name, meta, progress, cancel);
    entry.progress = progress;
    entry.meta = meta;
    return li;
  }

  // The chip of a finished upload: its thumbnail when the server made one (img-src is 'self' only, so
  // the composer cannot preview a local blob before that), its kind and size, and Remove.
  function finish(form, entry, info) {
    entry.id = String(info.id);
    entry.status = 'done';
    entry.chip.setAttribute('data-state', 'done');
    entry.progress.remove();
    entry.chip.querySelector('.upload-cancel').remove();
    if (info.thumbnail_url) {
      var img = document.createElement('img');
      img.className = 'upload-thumb';
      img.alt = '';
      img.src = info.thumbnail_url;
      img.addEventListener('error', function () { img.remove(); });
      entry.chip.prepend(img);
    }
    if (info.label) entry.meta.textContent = info.label; // its kind and size, "PNG image, 1.2 MB"
    var remove = button('upload-remove', 'Remove ' + entry.name, '\u00d7');
    remove.addEventListener('click', function () { discard(form, entry, true); });
    entry.chip.append(remove);
    entry.input = document.createElement('input');
    entry.input.type = 'hidden';
    entry.input.name = 'attachment';
    entry.input.value = entry.id;
    form.append(entry.input);
  }

  // Drops an entry's chip and field; `tellServer` also deletes the stored upload (one never posted would
  // otherwise count against the quota until the server's cleanup).
  function discard(form, entry, tellServer) {
    var s = stateOf(form);
    var i = s.entries.indexOf(entry);
    if (i >= 0) s.entries.splice(i, 1);
    // Its Cancel or Remove button had the focus: it goes back to the text, not to the page's start.
    var focused = entry.chip && entry.chip.contains(document.activeElement);
    if (entry.chip) entry.chip.remove();
    if (focused) { var text = form.querySelector('textarea'); if (text) text.focus(); }
    if (entry.input) entry.input.remove();
    showList(form);
    if (tellServer && entry.id) {
      fetch(form.getAttribute('data-upload-url') + '/' + encodeURIComponent(entry.id), {
        method: 'DELETE',
        credentials: 'same-origin',
        headers: { 'X-CSRF-Token': csrf() }
      }).catch(function () { /* the server drops unposted uploads by itself in time */ });
    }
  }

  function refusal(entry, xhr) {
    var text = '';
    try { text = JSON.parse(xhr.responseText).error || ''; } catch (e) { /* not JSON: a proxy's page */ }
    return text || entry.name + ' could not be uploaded (the server answered ' + xhr.status + ').';
  }

  function upload(form, file) {
    var s = stateOf(form);
    var entry = { name: file.name || 'pasted file', size: file.size, status: 'sending', id: null, input: null };
    entry.chip = chipFor(entry);
    listOf(form).append(entry.chip);
    showList(form);
    s.entries.push(entry);

    var xhr = new XMLHttpRequest();
    entry.xhr = xhr;
    xhr.open('POST', form.getAttribute('data-upload-url'));
    xhr.setRequestHeader('X-CSRF-Token', csrf());
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(entry.name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable && e.total > 0) entry.progress.value = Math.round(100 * e.loaded / e.total);
    });
    // Every byte is out; the server still stores it (and makes a thumbnail): an indeterminate bar.
    xhr.upload.addEventListener('load', function () { entry.progress.removeAttribute('value'); });
    xhr.addEventListener('load', function () {
      var info = null;
      if (xhr.status === 201) { try { info = JSON.parse(xhr.responseText); } catch (e) { info = null; } }
      if (info && info.id) {
        finish(form, entry, info);
      } else {
        entry.status = 'failed';
        say(form, refusal(entry, xhr));
        discard(form, entry, false);
      }
      settled(form);
    });
    xhr.addEventListener('error', function () {
      entry.status = 'failed';
      say(form, entry.name + ' could not be uploaded: the connection to the server was lost.');
      discard(form, entry, false);
      settled(form);
    });
    xhr.addEventListener('abort', function () {
      entry.status = 'cancelled';
      discard(form, entry, false);
      settled(form);
    });
    xhr.send(file);
  }

  // Files from the input, a drop or a paste. One too big is refused here, before any byte is sent.
  function add(form, files) {
    if (!files || !files.length) return;
    var max = Number(form.getAttribute('data-upload-max-bytes')) || 0;
    var refused = [];
    Array.prototype.forEach.call(files, function (file) {
      if (max > 0 && file.size > max) {
        refused.push(file.name + ' is ' + sizeText(file.size) + ': files can be at most ' + sizeText(max) + '.');
        return;
      }
      upload(form, file);
    });
    say(form, refused.join(' '));
  }

  function pending(form) {
    return stateOf(form).entries.some(function (e) { return e.status === 'sending'; });
  }

  // The last upload a waiting send was waiting for has ended (finished, failed or cancelled): send now,
  // unless nothing is left to send (empty text and every upload gone), which would only replace the
  // upload's error with "write something".
  function settled(form) {
    var s = stateOf(form);
    if (!s.waiting || pending(form)) return;
    var go = s.waiting;
    s.waiting = null;
    form.removeAttribute('aria-busy');
    form.classList.remove('upload-waiting');
    var text = form.querySelector('textarea[name=text]');
    var attached = form.querySelectorAll('input[name=attachment]').length;
    if (attached === 0 && text && text.value.trim() === '') return;
    go.issueRequest(true);
  }

  document.addEventListener('htmx:confirm', function (e) {
    var form = e.detail.elt;
    if (!isUploadForm(form) || !pending(form)) return;
    e.preventDefault();
    // Enter pressed twice while waiting still sends once.
    stateOf(form).waiting = e.detail;
    form.setAttribute('aria-busy', 'true');
    form.classList.add('upload-waiting');
  });

  // What this post attaches is fixed when htmx collects the form's fields, just before this event; a
  // file pasted while the post is on its way stays for the next message.
  document.addEventListener('htmx:beforeRequest', function (e) {
    var form = e.detail.elt;
    if (!isUploadForm(form)) return;
    stateOf(form).sent = stateOf(form).entries.filter(function (x) { return x.status === 'done'; });
  });

  // Only a 2xx is a posted message: htmx counts a 422 (the error line) as successful too.
  document.addEventListener('htmx:afterRequest', function (e) {
    var form = e.detail.elt;
    if (!isUploadForm(form)) return;
    var s = stateOf(form), sent = s.sent;
    s.sent = [];
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    if (status < 200 || status >= 300) return;
    sent.forEach(function (entry) { discard(form, entry, false); });
  });

  document.addEventListener('change', function (e) {
    var input = e.target;
    if (!input.matches || !input.matches('input[type=file][data-upload-input]')) return;
    var form = uploadForm(input);
    if (!form) return;
    add(form, input.files);
    input.value = ''; // the same file may be chosen again
  });

  // A paste with files attaches them; a paste of text stays an ordinary paste.
  document.addEventListener('paste', function (e) {
    var form = uploadForm(e.target);
    if (!form || !e.target.matches('textarea')) return;
    var files = e.clipboardData && e.clipboardData.files;
    if (!files || !files.length) return;
    e.preventDefault();
    add(form, files);
  });

  // --- Dropping files: on a thread to reply with them, on the channel's messages or composer -------

  function hasFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, 'Files') >= 0;
  }

  // The zone under the pointer and the form its files go to.
  function dropZone(target) {
    if (!target || !target.closest) return null;
    var thread = target.closest('#thread');
    if (thread) {
      var reply = thread.querySelector(FORM);
      return reply ? { zone: thread, form: reply } : null;
    }
    var zone = target.closest('#messages, #compose');
    var compose = document.getElementById('compose');
    return zone && isUploadForm(compose) ? { zone: zone, form: compose } : null;
  }

  // dragleave fires for every child crossed, so the highlight instead lasts while dragover keeps coming.
  var lit = null, unlight = 0;
  function light(zone) {
    if (lit && lit !== zone) lit.classList.remove('drop-active');
    lit = zone;
    if (zone) zone.classList.add('drop-active');
    clearTimeout(unlight);
    if (zone) unlight = setTimeout(function () { light(null); }, 200);
  }

  document.addEventListener('dragover', function (e) {
    if (!hasFiles(e) || !document.querySelector(FORM)) return;
    if (e.target.matches && e.target.matches('input[type=file]')) return;
    var where = dropZone(e.target);
    // Outside a zone the drop is refused rather than left to the browser, which would open the file in
    // place of the chat.
    e.preventDefault();
    e.dataTransfer.dropEffect = where ? 'copy' : 'none';
    light(where ? where.zone : null);
  });

  document.addEventListener('drop', function (e) {
    if (!hasFiles(e) || !document.querySelector(FORM)) return;
    if (e.target.matches && e.target.matches('input[type=file]')) return;
    e.preventDefault();
    light(null);
    var where = dropZone(e.target);
    if (where) add(where.form, e.dataTransfer.files);
  });
})();
